/**
 * `glmflow plan … | head`: once the reader has gone, writing to stdout fails with EPIPE.
 * That is not an error of glmflow: stop quietly (exit 0) instead of crashing with a stack trace.
 */
export function exitQuietlyOnBrokenPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
