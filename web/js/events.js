// The live event stream (/chat/events). EventSource gives up for good on some failures (a 401, a 5xx, a
// proxy answering HTML), so the stream is closed on any error and opened again after a growing, jittered
// delay. Every (re)open is reported so the page can fetch again what it may have missed while away.

const NAMES = ['circuit', 'message', 'demo', 'config'];
const MIN_DELAY_MS = 1000;
const MAX_DELAY_MS = 15000;

/**
 * handlers: circuit(data), message(data), demo(data), config(data), open({reconnected}), down().
 * Returns {reconnectNow(), close()}.
 */
export function connectEvents(handlers) {
  let source = null;
  let timer = null;
  let failures = 0;
  let opened = false;
  let closed = false;

  function connect() {
    timer = null;
    source = new EventSource('/chat/events');
    source.addEventListener('open', () => {
      const reconnected = opened;
      opened = true;
      failures = 0;
      handlers.open?.({ reconnected });
    });
    for (const name of NAMES) {
      source.addEventListener(name, (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        handlers[name]?.(data);
      });
    }
    source.addEventListener('error', () => {
      source.close();
      if (closed) return;
      handlers.down?.();
      const delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** failures);
      failures += 1;
      timer = setTimeout(connect, delay / 2 + Math.random() * (delay / 2));
    });
  }

  connect();
  return {
    reconnectNow() {
      if (timer) {
        clearTimeout(timer);
        connect();
      }
    },
    close() {
      closed = true;
      clearTimeout(timer);
      source?.close();
    },
  };
}
