// How request bodies are read (Fastify content-type parsers): JSON with a size limit, refused whole
// when malformed, too deeply nested, saying one key twice or holding what no field of ours may hold;
// every other type left unread for its route (the waiting-list upload streams text/csv itself, the
// offer pages read their forms). Each refusal is the common error body naming the field.
import { BadRequestException, HttpException } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorBody } from './http-errors.filter.js';

/**
 * A form value with each line break as one character: browsers send a textarea's as CR LF, which
 * would count twice against a length the person could not see they had passed. The console's and
 * the offer pages' form readers both apply it.
 */
export const oneLineBreak = (v: string): string => v.replace(/\r\n?/g, '\n');

/** Media types read as JSON (as express.json's `application/json` and `application/*+json` were); Fastify tests the regular expression on the whole header, parameters and all. */
const JSON_TYPES = ['application/json', /^application\/[^;\s]+\+json\s*(;|$)/];

const refuse = (message: string, field = 'body') => new BadRequestException(errorBody(400, message, [{ field, messages: [message] }]));
const notUtf8Json = () => new HttpException(errorBody(415, 'Send the body as UTF-8 JSON'), 415);

/**
 * Replaces Fastify's parsers: JSON (ours, below) and a catch-all that reads nothing, so a body of
 * another type reaches its route unread (a JSON route then finds no body and names its required
 * fields, as before) instead of Fastify's 415. `limit`: the largest JSON body, in bytes.
 */
export function registerBodyParsers(fastify: FastifyInstance, limit: number): void {
  fastify.removeAllContentTypeParsers();
  for (const type of JSON_TYPES) {
    fastify.addContentTypeParser(type, { parseAs: 'string', bodyLimit: limit }, (req, text, done) => {
      try {
        done(null, parseJsonBody(req, String(text)));
      } catch (e) {
        done(e as Error, undefined);
      }
    });
  }
  fastify.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  // Express read a body on every method: a GET with one is screened as a POST's would be, not ignored.
  fastify.addHttpMethod('GET', { hasBody: true, overrideExisting: true });
}

/** A JSON body: strict (an object or an array), UTF-8 and uncompressed (the size limit is on the bytes that arrive), screened. */
export function parseJsonBody(req: FastifyRequest, text: string): unknown {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if ((charset && charset !== 'utf-8' && charset !== 'utf8') || coding !== 'identity') throw notUtf8Json();
  // Runs on the raw text before JSON.parse. JSON.parse quietly keeps the last of two equal keys: a
  // payload that says two things is refused whole. Nesting is bounded here, before anything walks the
  // parsed value recursively (JSON.stringify, the screen below, validation): 40 KB of `[` overflows the stack.
  const bad = scanJson(text);
  if (bad?.problem === 'duplicate') throw refuse(`${bad.field} appears more than once`, bad.field);
  if (bad?.problem === 'deep') throw refuse(`${bad.field} is nested too deeply`, bad.field);
  // Nothing sent is no body, as express.json had it; anything else must be strict JSON (an object or an array).
  if (text.length === 0) return {};
  const first = /\S/.exec(text)?.[0];
  let body: unknown;
  try {
    if (first !== '{' && first !== '[') throw new SyntaxError('not an object or array');
    body = JSON.parse(text);
  } catch {
    throw new BadRequestException(errorBody(400, 'The request body is not valid JSON', [{ field: 'body', messages: ['body must be valid JSON'] }]));
  }
  const problem = screenJson(body);
  if (problem) throw refuse(problem.message, problem.field);
  return body;
}

/** Deeper than any field of ours: objects and arrays inside the body, the body itself at depth 0. */
const MAX_DEPTH = 16;

interface Frame {
  keys: Set<string> | null;
  path: string;
  expectKey: boolean;
  lastKey: string;
}

/**
 * One pass over a JSON text, without recursion: the first key that appears twice in one object, or
 * the first object or array nested deeper than any field of ours (MAX_DEPTH), with its path.
 */
export function scanJson(text: string): { problem: 'duplicate' | 'deep'; field: string } | null {
  const stack: Frame[] = [];
  const childPath = () => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (!top.keys) return `${top.path}[]`;
    return top.path ? `${top.path}.${top.lastKey}` : top.lastKey;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          return null; // malformed: the parser reports it
        }
        if (top.keys.has(key)) return { problem: 'duplicate', field: top.path ? `${top.path}.${key}` : key };
        top.keys.add(key);
        top.expectKey = false;
        top.lastKey = key;
      }
      i = j;
    } else if (ch === '{' || ch === '[') {
      // The body itself is depth 0, as in screen() below.
      if (stack.length > MAX_DEPTH) {
        const path = childPath();
        return { problem: 'deep', field: !path || path.startsWith('[') ? `body${path}` : path };
      }
      stack.push(
        ch === '{' ? { keys: new Set(), path: childPath(), expectKey: true, lastKey: '' } : { keys: null, path: childPath(), expectKey: false, lastKey: '' },
      );
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',') {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return null;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Finds what no field of ours may hold: NUL and other C0 controls but tab and newlines, keys that reach prototypes, deep nesting. */
function screen(value: unknown, path: string, depth: number): { field: string; message: string } | null {
  if (depth > MAX_DEPTH) return { field: path || 'body', message: `${path || 'body'} is nested too deeply` };
  if (typeof value === 'string') {
    if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(value)) return { field: path, message: `${path} contains control characters` };
    return null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = screen(value[i], `${path}[${i}]`, depth + 1);
      if (bad) return bad;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) return { field, message: `${field} is not a known field` };
      const bad = screen((value as Record<string, unknown>)[key], field, depth + 1);
      if (bad) return bad;
    }
  }
  return null;
}

/** What no route could accept, found before validation or the database sees it; null when nothing. */
function screenJson(body: unknown): { field: string; message: string } | null {
  if (body === undefined || body === null) return null;
  const raw = JSON.stringify(body);
  // JSON.parse keeps a "__proto__" key as an own property, so it is seen here.
  return screen(body, '', 0) ?? (raw.includes('"__proto__"') ? { field: '__proto__', message: '__proto__ is not a known field' } : null);
}
