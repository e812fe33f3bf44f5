// What bench/export-compress.ts uses from export-oci, in one place.
export { CompressPool, compressStream, exportImages, type Codec } from '../packages/export-oci/src/index.ts';
export { imageRecord } from '../packages/export-oci/src/testing.ts';
