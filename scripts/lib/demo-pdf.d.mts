// Types for demo-pdf.mjs, used by the TypeScript tests.
export declare function tinyPdf(text?: string, padTo?: number): Buffer;
