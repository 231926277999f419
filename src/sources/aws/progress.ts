/**
 * What the collector has done so far, updated as it goes and read by the progress display (src/cli/progress.ts).
 * Plain counters: the display polls them, so the collector never waits for the terminal.
 */

export interface RegionProgress {
  region: string;
  /** Keys ListKeys returned so far, and whether the listing is complete. */
  keysListed: number;
  listingDone: boolean;
  /** Keys whose calls are all answered (or failed). */
  keysDone: number;
  aliases: number;
  /** Buckets of this region, and how many are read. */
  buckets: number;
  bucketsDone: number;
}

export class AuditProgress {
  phase = "starting";
  account: string | undefined;
  org: string | undefined;
  readonly regions = new Map<string, RegionProgress>();
  bucketListingDone = false;
  calls = 0;
  retries = 0;
  errors = 0;
  readonly startedAt = Date.now();

  region(name: string): RegionProgress {
    let entry = this.regions.get(name);
    if (!entry) {
      entry = { region: name, keysListed: 0, listingDone: false, keysDone: 0, aliases: 0, buckets: 0, bucketsDone: 0 };
      this.regions.set(name, entry);
    }
    return entry;
  }

  totals(): { keys: number; keysDone: number; buckets: number; bucketsDone: number; listing: boolean } {
    let keys = 0;
    let keysDone = 0;
    let buckets = 0;
    let bucketsDone = 0;
    let listing = !this.bucketListingDone;
    for (const r of this.regions.values()) {
      keys += r.keysListed;
      keysDone += r.keysDone;
      buckets += r.buckets;
      bucketsDone += r.bucketsDone;
      if (!r.listingDone) listing = true;
    }
    return { keys, keysDone, buckets, bucketsDone, listing };
  }
}
