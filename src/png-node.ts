// Node-only: renders an SVG document to PNG with resvg (WebAssembly, so no native binary to
// install) and the DejaVu Sans font shipped by the `dejavu-fonts-ttf` package.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Resvg, initWasm } from '@resvg/resvg-wasm';

let ready: Promise<Uint8Array[]> | null = null;

function init(): Promise<Uint8Array[]> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    await initWasm(readFileSync(require.resolve('@resvg/resvg-wasm/index_bg.wasm')));
    const dir = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf').replace(/DejaVuSans\.ttf$/, '');
    return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => new Uint8Array(readFileSync(dir + f)));
  })();
  return ready;
}

/** PNG bytes of `svg`, rendered at `scale` × its own size. */
export async function svgToPng(svg: string, scale = 1.5): Promise<Uint8Array> {
  const fontBuffers = await init();
  const r = new Resvg(svg, {
    font: { fontBuffers, loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  });
  const img = r.render();
  const png = img.asPng();
  img.free();
  r.free();
  return png;
}
