import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

const PLAIN = 0;
const BROTLI = 1;

// Quality 11 (the default) costs ~100x the CPU of 5 for a few % smaller JSON; a cache write is
// on a request's path, so the cheaper setting wins.
const BROTLI_OPTIONS = {
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 5,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
  },
};

/**
 * An L2 value: [format byte][version length][version][payload]. The version travels with the
 * value, so a reader can tell a value loaded before the latest invalidation from a current one.
 */
export async function encodeValue(
  json: string,
  version: string,
  compressAboveBytes: number,
): Promise<Buffer> {
  const versionBytes = Buffer.from(version, 'latin1');
  if (versionBytes.length > 255) throw new Error('cache: version longer than 255 bytes');
  let payload = Buffer.from(json, 'utf8');
  let format = PLAIN;
  if (payload.length > compressAboveBytes) {
    const packed = await compress(payload, {
      params: { ...BROTLI_OPTIONS.params, [constants.BROTLI_PARAM_SIZE_HINT]: payload.length },
    });
    // Already-dense text can grow; then the plain bytes are the better copy.
    if (packed.length < payload.length) {
      payload = packed;
      format = BROTLI;
    }
  }
  return Buffer.concat([Buffer.from([format, versionBytes.length]), versionBytes, payload]);
}

/** undefined for bytes this code cannot read (say, a newer format): the caller treats it as a miss. */
export async function decodeValue(
  stored: Buffer,
): Promise<{ version: string; json: string } | undefined> {
  if (stored.length < 2) return undefined;
  const format = stored[0];
  const end = 2 + stored[1]!;
  if (stored.length < end) return undefined;
  const version = stored.subarray(2, end).toString('latin1');
  const payload = stored.subarray(end);
  if (format === PLAIN) return { version, json: payload.toString('utf8') };
  if (format === BROTLI) return { version, json: (await decompress(payload)).toString('utf8') };
  return undefined;
}
