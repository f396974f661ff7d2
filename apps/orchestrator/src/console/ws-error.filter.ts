import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { DomainError } from '../common/errors.js';
import type { ConsoleReply } from './console.events.js';

type ErrorReply = Extract<ConsoleReply, { status: 'error' }>;

/** The one place where errors of console commands become replies: `{ status: 'error', error: { code, message, problems } }`. */
export function errorReply(exception: unknown, logger?: Logger): ErrorReply {
  if (exception instanceof DomainError) {
    return { status: 'error', error: { code: exception.code, message: exception.message, problems: exception.problems } };
  }
  logger?.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  return { status: 'error', error: { code: 'internal', message: 'internal error', problems: [] } };
}

interface EmittingClient {
  emit(event: 'command.error', reply: ErrorReply): unknown;
}

/** Answers the command's acknowledgement with the error, or emits `command.error` when it had none. */
@Catch()
export class WsErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('console');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = errorReply(exception, this.logger);
    // socket.io handler arguments: client, data, acknowledgement (when the client asked for one), pattern.
    const args: unknown[] = host.getArgs();
    const ack = args.find((a): a is (r: ErrorReply) => void => typeof a === 'function');
    if (ack) ack(reply);
    else host.switchToWs().getClient<EmittingClient>().emit('command.error', reply);
  }
}
