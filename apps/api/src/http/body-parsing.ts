// JSON body parsing with a size limit, and plain JSON errors for malformed or oversized bodies.
import express, { type NextFunction, type Request, type Response } from 'express';
import { errorBody } from './http-errors.filter.js';

export function jsonBody(limit: string) {
  return express.json({ limit, strict: true, type: ['application/json', 'application/*+json'] });
}

/** Express error middleware for body-parser failures (they happen before Nest's filters run). */
export function bodyErrors(err: { type?: string; status?: number; message?: string }, _req: Request, res: Response, next: NextFunction): void {
  if (!err) return next();
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
