// JSON body parsing with a size limit, and plain JSON errors for malformed, oversized or too deeply nested bodies.
import express, { type NextFunction, type Request, type Response } from 'express';
import { errorBody } from './http-errors.filter.js';

export function jsonBody(limit: string) {
  return express.json({
    limit,
    strict: true,
    type: ['application/json', 'application/*+json'],
    // Runs on the raw text before JSON.parse. JSON.parse quietly keeps the last of two equal keys: a
    // payload that says two things is refused whole. Nesting is bounded here, before anything walks the
    // parsed value recursively (JSON.stringify, the screen below, validation): 40 KB of `[` overflows the stack.
    verify: (_req, _res, buf) => {
      const bad = scanJson(buf.toString('utf8'));
      if (bad?.problem === 'duplicate')
        throw Object.assign(new Error(`${bad.field} appears more than once`), { status: 400, type: 'entity.duplicate.key', field: bad.field });
      if (bad?.problem === 'deep')
        throw Object.assign(new Error(`${bad.field} is nested too deeply`), { status: 400, type: 'entity.too.deep', field: bad.field });
    },
  });
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

/** Express error middleware for body-parser failures (they happen before Nest's filters run). */
export function bodyErrors(err: { type?: string; status?: number; message?: string; field?: string }, _req: Request, res: Response, next: NextFunction): void {
  if (!err) return next();
  // Already answered (a body deadline's 408, request-deadlines.ts): the parser's error is the connection closing after it.
  if (res.headersSent) return;
  if (err.type === 'entity.duplicate.key' || err.type === 'entity.too.deep' || (err.type === 'entity.verify.failed' && err.field)) {
    const message = err.message ?? 'the body could not be read';
    res.status(400).json(errorBody(400, message, [{ field: err.field ?? 'body', messages: [message] }]));
    return;
  }
  if (err.type === 'entity.too.large') {
    res.status(413).json(errorBody(413, 'The request body is too large'));
    return;
  }
  if (err.type === 'entity.parse.failed') {
    res.status(400).json(errorBody(400, 'The request body is not valid JSON', [{ field: 'body', messages: ['body must be valid JSON'] }]));
    return;
  }
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') {
    res.status(415).json(errorBody(415, 'Send the body as UTF-8 JSON'));
    return;
  }
  res.status(err.status && err.status >= 400 && err.status < 500 ? err.status : 400).json(errorBody(err.status ?? 400, 'The request body could not be read'));
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

/** Refuses bodies no route could accept before they reach validation or the database. */
export function screenBody(req: Request, res: Response, next: NextFunction): void {
  if (req.body === undefined || req.body === null) return next();
  const raw = JSON.stringify(req.body);
  // JSON.parse keeps a "__proto__" key as an own property, so it is seen here.
  const bad = screen(req.body, '', 0) ?? (raw.includes('"__proto__"') ? { field: '__proto__', message: '__proto__ is not a known field' } : null);
  if (bad) {
    res.status(400).json(errorBody(400, bad.message, [{ field: bad.field, messages: [bad.message] }]));
    return;
  }
  next();
}
