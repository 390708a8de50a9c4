/** The env modules demo/build.ts bundles into the page (side effects only). */
declare module 'virtual:metarl-env-modules';
