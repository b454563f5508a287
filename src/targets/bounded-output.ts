import type { Readable } from 'node:stream';

/**
 * Keeps the first `limit` bytes of a stream and counts the rest, so a target
 * that floods its output costs the harness bounded memory. The stream is
 * always drained, so the target never blocks on a full pipe.
 */
export class BoundedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(
    stream: Readable,
    private readonly limit: number,
  ) {
    stream.on('data', (chunk: Buffer) => {
      this.total += chunk.length;
      const room = this.limit - this.kept;
      if (room <= 0) return;
      const piece = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(piece);
      this.kept += piece.length;
    });
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
