import { createHash, randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

/**
 * What the fake WeChat API accepts and how it refuses, apart from HTTP and state.
 * Messages follow WeChat's wording; the caller adds the ` rid: …` WeChat appends.
 */

export type WechatError = readonly [errcode: number, errmsg: string];

export const WECHAT_ERRORS = {
  systemError: [-1, 'system error'],
  noSuchApi: [-1, 'no such api'],
  invalidCredential: [40001, 'invalid credential, access_token is invalid or not latest'],
  invalidGrantType: [40002, 'invalid grant_type'],
  invalidOpenid: [40003, 'invalid openid'],
  invalidAppid: [40013, 'invalid appid'],
  invalidArgs: [40097, 'invalid args'],
  invalidAppsecret: [40125, 'invalid appsecret'],
  invalidScene: [40129, 'invalid scene'],
  invalidSceneLength: [40169, 'invalid length for scene, or the data is not json string'],
  tokenMissing: [41001, 'access_token missing'],
  appidMissing: [41002, 'appid missing'],
  secretMissing: [41004, 'appsecret missing'],
  invalidPage: [41030, 'invalid page'],
  tokenExpired: [42001, 'access_token expired'],
  requireGet: [43001, 'require GET method'],
  requirePost: [43002, 'require POST method'],
  emptyPostData: [44002, 'empty post data'],
  dailyQuota: [45009, 'reach max api daily quota limit'],
  legacyDailyQuota: [45009, 'reach max api daily quota limit, could get access_token by getStableAccessToken'],
  minuteQuota: [45011, 'api minute-quota reach limit  mustslower  retry next minute'],
  dataFormat: [47001, 'data format error'],
} as const satisfies Record<string, WechatError>;
const E = WECHAT_ERRORS;

const OPENID = /^[A-Za-z0-9_-]{28}$/;
/** The characters getwxacodeunlimit allows in `scene` (its API page). */
const SCENE = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]*$/;

export type Fields = Record<string, unknown>;

const hex8 = (value: number): string => (value >>> 0).toString(16).padStart(8, '0');
/** WeChat's rid and v2 trace_id shape: three 8-hex groups, the first the time in seconds. */
export const requestId = (nowMs: number): string => `${hex8(Math.floor(nowMs / 1000))}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
const isRecord = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isIntIn = (value: unknown, min: number, max: number): boolean => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

export function parseJsonObject(body: Buffer): Fields | WechatError {
  if (body.length === 0) return E.emptyPostData;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return isRecord(parsed) ? parsed : E.dataFormat;
  } catch {
    return E.dataFormat;
  }
}

export function isError(value: unknown): value is WechatError {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'number';
}

function openidProblem(openid: unknown): WechatError | undefined {
  if (typeof openid !== 'string') return E.dataFormat;
  return OPENID.test(openid) ? undefined : E.invalidOpenid;
}

function sceneProblem(scene: unknown): WechatError | undefined {
  if (typeof scene !== 'number') return E.dataFormat;
  return isIntIn(scene, 1, 4) ? undefined : E.invalidScene;
}

export function mediaCheckProblem(fields: Fields): WechatError | undefined {
  const url = typeof fields.media_url === 'string' && URL.canParse(fields.media_url) ? new URL(fields.media_url) : undefined;
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) return E.dataFormat;
  if (fields.media_type !== 1 && fields.media_type !== 2) return E.dataFormat;
  if (fields.version !== 2) return E.dataFormat;
  return sceneProblem(fields.scene) ?? openidProblem(fields.openid);
}

export function msgSecCheckProblem(fields: Fields): WechatError | undefined {
  if (fields.version !== 2) return E.dataFormat;
  const problem = openidProblem(fields.openid) ?? sceneProblem(fields.scene);
  if (problem) return problem;
  const content = fields.content;
  if (typeof content !== 'string' || content.length === 0 || [...content].length > 2500) return E.dataFormat;
  const optional = [fields.nickname, fields.title, fields.signature];
  return optional.every((value) => value === undefined || typeof value === 'string') ? undefined : E.dataFormat;
}

export function wxaCodeProblem(fields: Fields): WechatError | undefined {
  const { scene, page, width, check_path: checkPath, env_version: envVersion } = fields;
  if (typeof scene !== 'string' || scene.length === 0) return E.dataFormat;
  if (scene.length > 32 || !SCENE.test(scene)) return E.invalidSceneLength;
  if (page !== undefined && typeof page !== 'string') return E.dataFormat;
  if (typeof page === 'string' && (page.startsWith('/') || page.includes('?'))) return E.invalidPage;
  if (width !== undefined && typeof width !== 'number') return E.dataFormat;
  if (checkPath !== undefined && typeof checkPath !== 'boolean') return E.dataFormat;
  if (envVersion !== undefined && !['release', 'trial', 'develop'].includes(envVersion as string)) return E.invalidArgs;
  return undefined;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A width×width greyscale PNG whose 21×21 pattern follows the scene and page, so different codes differ. */
export function codePng(scene: string, page: string, width: number): Buffer {
  const bits = createHash('sha256').update(`${page}\n${scene}`).digest();
  const row = Buffer.alloc(width + 1);
  const rows: Buffer[] = [];
  for (let y = 0; y < width; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const cell = (Math.floor((y * 21) / width) * 21 + Math.floor((x * 21) / width)) % 256;
      row[x + 1] = ((bits[cell >> 3] ?? 0) >> (cell & 7)) & 1 ? 0 : 255;
    }
    rows.push(Buffer.from(row));
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(width, 4);
  header[8] = 8;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(Buffer.concat(rows))), pngChunk('IEND', Buffer.alloc(0))]);
}
