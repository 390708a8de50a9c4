/**
 * Starting the page's tfjs backend, in the page and in its training worker (each thread has its own
 * tfjs): the backend asked for, or cpu when it does not start (the page then says why).
 */
import { initBackend } from '../agents/browser.ts';
import type { BackendName } from '../agents/browser.ts';

/** The backend a thread runs on. */
export interface PageBackend {
  /** The backend in use. */
  name: BackendName;
  /** How the page shows it: the name, and why the one asked for fell back to cpu. */
  shown: string;
}

/**
 * Starts `requested` (with the wasm binaries at `wasmPaths`, an absolute URL), else cpu.
 * @param label prefixes the console lines (which thread says it).
 * @throws Error when cpu itself does not start.
 */
export async function startPageBackend(requested: BackendName, wasmPaths: string, label = ''): Promise<PageBackend> {
  const log = (line: string) => console.info(`${label}${line}`);
  try {
    await initBackend(requested, { log, wasmPaths });
    return { name: requested, shown: requested };
  } catch (e) {
    if (requested === 'cpu') throw e;
    console.warn(`${label}backend ${requested} failed, using cpu:`, e);
    await initBackend('cpu', { log });
    return { name: 'cpu', shown: `cpu (${requested} failed: ${(e as Error).message})` };
  }
}
