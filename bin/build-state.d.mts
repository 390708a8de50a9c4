// Types of build-state.mjs, for the TypeScript that imports it (tests).
export declare const BUILD_DIRS: readonly string[];
export declare const STAMP: string;
export declare const BUILD_FORMAT: number;
export declare function buildSources(root: string): string[];
export declare function fileState(path: string): [number, number] | null;
export declare function buildIsFresh(root: string): boolean;
export declare function buildInputs(root: string): string;
export declare function fromSourceRequested(env?: Record<string, string | undefined>): boolean;
