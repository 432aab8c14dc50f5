/**
 * The daemon's counters as the cloud sees them: an MQTT subscriber on the
 * device's stats topic (per-camera counters every mqtt.statsIntervalS) and
 * events topic. Counters are cumulative, so a window is the difference of two
 * stats messages; the daemon's own `at` times give the window length.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { Topics, type StatsMessage } from '../src/mqtt/topics.js';

export interface StatsArrival {
  readonly msg: StatsMessage;
  /** performance.now() at arrival, ms. */
  readonly receivedAt: number;
}

interface Waiter {
  readonly match: (a: StatsArrival) => boolean;
  readonly resolve: (a: StatsArrival) => void;
}

export class StatsFeed {
  readonly stats: StatsArrival[] = [];
  /** Event messages received (QoS 1 from the daemon's outbox). */
  events = 0;
  private waiters: Waiter[] = [];

  private constructor(
    private readonly client: MqttClient,
    private readonly topics: Topics,
  ) {
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  static async connect(url: string, prefix: string, device: string): Promise<StatsFeed> {
    const topics = new Topics(prefix, device);
    const client = await mqtt.connectAsync(url, { connectTimeout: 5000, reconnectPeriod: 500, clientId: `bench-cameras-${process.pid}` });
    const feed = new StatsFeed(client, topics);
    await client.subscribeAsync([topics.stats(), topics.events()], { qos: 1 });
    return feed;
  }

  /** The first stats message (already received or still to come) after `afterIndex` that matches. */
  next(match: (a: StatsArrival) => boolean, afterIndex: number, timeoutMs: number, what: string): Promise<StatsArrival> {
    const seen = this.stats.slice(afterIndex + 1).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no stats message with ${what} within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      const waiter: Waiter = { match, resolve: (a) => (clearTimeout(timer), resolve(a)) };
      this.waiters.push(waiter);
    });
  }

  indexOf(a: StatsArrival): number {
    return this.stats.indexOf(a);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic === this.topics.events()) {
      this.events++;
      return;
    }
    if (topic !== this.topics.stats()) return;
    const arrival: StatsArrival = { msg: JSON.parse(payload.toString('utf8')) as StatsMessage, receivedAt: performance.now() };
    this.stats.push(arrival);
    const ready = this.waiters.filter((w) => w.match(arrival));
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(arrival);
  }
}
