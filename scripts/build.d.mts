// Types of build.mjs, for the TypeScript that imports it (tests).
export declare function build(root?: string): Promise<{ files: number; seconds: number }>;
