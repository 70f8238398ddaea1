/**
 * AWS Signature Version 4 verification, written from AWS's documented algorithm
 * ("Create a canonical request", "Create a string to sign", "Calculate the signature"):
 * the fake recomputes the signature the client should have sent and rejects anything else.
 * It also checks the payload hash against the body it received, the credential scope
 * (date, region, service), that `host` and `x-amz-date` are signed, and clock skew.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FakeRequest } from './fake-http-server.js';

export interface SigV4Expectation {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
  /** Allowed skew between x-amz-date and now. Default 5 minutes, as AWS allows. */
  maxSkewMs?: number;
}

export type SigV4Outcome = { ok: true } | { ok: false; type: 'UnrecognizedClientException' | 'InvalidSignatureException' | 'IncompleteSignatureException'; reason: string };

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX upper case. */
export function uriEncode(text: string, keepSlash: boolean): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const character = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(character) || (keepSlash && character === '/')) encoded += character;
    else encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

function canonicalUri(rawPath: string): string {
  // Non-S3 services: normalise, then encode each segment once more.
  const segments = rawPath.split('/').map((segment) => uriEncode(decodeURIComponent(segment), false));
  const joined = segments.join('/');
  return joined === '' ? '/' : joined;
}

function canonicalQuery(url: URL): string {
  const pairs = [...url.searchParams.entries()].map(([key, value]) => [uriEncode(key, false), uriEncode(value, false)] as const);
  pairs.sort(([leftKey, leftValue], [rightKey, rightValue]) => (leftKey === rightKey ? (leftValue < rightValue ? -1 : 1) : leftKey < rightKey ? -1 : 1));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

function headerValue(request: FakeRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value.join(',') : value).trim().replace(/\s+/g, ' ');
}

function parseAmzDate(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  return new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
}

export function verifySigV4(request: FakeRequest, expected: SigV4Expectation, now: Date = new Date()): SigV4Outcome {
  const authorization = headerValue(request, 'authorization');
  if (authorization === undefined) return { ok: false, type: 'IncompleteSignatureException', reason: 'no Authorization header' };
  const match = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(authorization);
  if (match === null) return { ok: false, type: 'IncompleteSignatureException', reason: 'malformed Authorization header' };
  const [, credential = '', signedHeaderList = '', signature = ''] = match;
  const [accessKeyId, scopeDate, region, service, terminator] = credential.split('/');
  if (accessKeyId !== expected.accessKeyId) return { ok: false, type: 'UnrecognizedClientException', reason: 'unknown access key' };
  if (region !== expected.region || service !== expected.service || terminator !== 'aws4_request') {
    return { ok: false, type: 'InvalidSignatureException', reason: 'credential scope does not match region/service' };
  }
  const amzDate = headerValue(request, 'x-amz-date');
  const signedHeaders = signedHeaderList.split(';');
  if (amzDate === undefined || !signedHeaders.includes('x-amz-date') || !signedHeaders.includes('host')) {
    return { ok: false, type: 'IncompleteSignatureException', reason: 'host and x-amz-date must be signed' };
  }
  const when = parseAmzDate(amzDate);
  if (when === undefined || amzDate.slice(0, 8) !== scopeDate) return { ok: false, type: 'InvalidSignatureException', reason: 'bad x-amz-date or scope date' };
  if (Math.abs(now.getTime() - when.getTime()) > (expected.maxSkewMs ?? 5 * 60_000)) {
    return { ok: false, type: 'InvalidSignatureException', reason: 'signature expired (clock skew)' };
  }
  const sortedHeaders = [...signedHeaders].sort();
  if (sortedHeaders.join(';') !== signedHeaderList) return { ok: false, type: 'InvalidSignatureException', reason: 'signed headers not sorted' };
  const canonicalHeaders = sortedHeaders.map((name) => `${name}:${headerValue(request, name) ?? ''}\n`).join('');
  const bodyHash = sha256Hex(request.body);
  const claimedHash = headerValue(request, 'x-amz-content-sha256');
  if (claimedHash !== undefined && claimedHash !== 'UNSIGNED-PAYLOAD' && claimedHash !== bodyHash) {
    return { ok: false, type: 'InvalidSignatureException', reason: 'payload hash does not match the body' };
  }
  const pathOnly = request.rawTarget.split('?')[0] ?? '/';
  const canonicalRequest = [request.method, canonicalUri(pathOnly), canonicalQuery(request.url), canonicalHeaders, signedHeaderList, claimedHash ?? bodyHash].join('\n');
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${expected.secretAccessKey}`, scopeDate ?? ''), region), service), 'aws4_request');
  const computed = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== computed.length || !timingSafeEqual(given, computed)) {
    return { ok: false, type: 'InvalidSignatureException', reason: 'signature does not match' };
  }
  return { ok: true };
}
