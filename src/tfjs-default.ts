/**
 * tfjs for metarl's modules (`#tfjs`) where neither the `node` nor the `browser` condition applies:
 * a bundler configured without the `browser` condition, say (the page then works, with the whole
 * `@tensorflow/tfjs`; docs/bundlers.md). Node uses ./tfjs.ts, a page's bundle ./tfjs-page.ts.
 */
export * from '@tensorflow/tfjs';
