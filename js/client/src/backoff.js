// Backoff gives reconnection delays: min * 2^attempt, spread by ±jitter, capped at max.
export class Backoff {
  constructor(min, max, jitter) {
    this.min = min;
    this.max = max;
    this.jitter = jitter > 0 && jitter <= 1 ? jitter : 0;
    this.attempts = 0;
  }

  duration() {
    let ms = this.min * Math.pow(2, this.attempts++);
    if (this.jitter) {
      const rand = Math.random();
      const deviation = Math.floor(rand * this.jitter * ms);
      ms = (Math.floor(rand * 10) & 1) === 0 ? ms - deviation : ms + deviation;
    }
    return Math.min(ms, this.max) | 0;
  }

  reset() {
    this.attempts = 0;
  }
}
