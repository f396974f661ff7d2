import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import { assertNever, DomainError, type DomainErrorCode } from './errors.js';

interface JsonResponse {
  status(code: number): { json(body: unknown): void };
}

function httpStatus(code: DomainErrorCode): number {
  switch (code) {
    case 'invalid_definition':
    case 'invalid_input':
      return 400;
    case 'not_found':
    case 'unknown_experiment':
      return 404;
    case 'invalid_state':
    case 'not_assigned':
    case 'stale_attempt':
      return 409;
    case 'unauthenticated':
      return 401;
    case 'forbidden':
      return 403;
    default:
      return assertNever(code, 'error code');
  }
}

/** The one place where errors become HTTP responses: `{ error: { code, message, problems } }`. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<JsonResponse>();
    if (exception instanceof DomainError) {
      res.status(httpStatus(exception.code)).json({
        error: {
          code: exception.code,
          message: exception.message,
          problems: exception.problems.length ? exception.problems : [exception.message],
        },
      });
      return;
    }
    if (exception instanceof HttpException) {
      // Framework errors: malformed JSON bodies, oversized bodies, unknown routes.
      const status = exception.getStatus();
      const body = exception.getResponse();
      const said = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      // Nest's own errors say it as a string, or as a list of strings (validation pipes)
      const message = typeof said === 'string' ? said : Array.isArray(said) ? said.join('; ') : exception.message;
      const code = status === 404 ? 'not_found' : 'invalid_input';
      res.status(status).json({ error: { code, message, problems: [message] } });
      return;
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    res.status(500).json({ error: { code: 'internal', message: 'internal error', problems: [] } });
  }
}
