/**
 * Notices a dead connection: no frame for `idleMs` (heartbeats come every ~5 s) earns the hub a
 * ping; no answer within `pingTimeoutMs` after that means the connection is dead and it is cut.
 * The ping step keeps a tail whose own event loop was blocked (a stalled stdout pipe) from
 * mistaking its own stall for a dead hub.
 */
import WebSocket from 'ws';

export class IdleWatchdog {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs: number, private readonly pingTimeoutMs: number, private readonly onDead: (why: string) => void) {}

  /** (Re)starts watching `socket`: call on every frame and pong. */
  arm(socket: WebSocket | undefined): void {
    this.stop();
    this.timer = setTimeout(() => {
      if (socket?.readyState !== WebSocket.OPEN) return;
      socket.ping();
      this.timer = setTimeout(() => {
        this.onDead(`nothing from the hub for ${Math.round((this.idleMs + this.pingTimeoutMs) / 1000)}s`);
        socket.terminate();
      }, this.pingTimeoutMs);
    }, this.idleMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
