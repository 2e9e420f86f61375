/**
 * FER+ vote rules (pure). FER+ (Barsoum et al. 2016) gives each FER2013 image the
 * votes of 10 annotators over 10 columns; the game has 7 emotions, so:
 *
 * - Majority label (evaluation, `--labels ferplus`): the column with the most votes
 *   over all 10 columns, kept only when it is unique and is one of the 7 game
 *   emotions. Rows are excluded when the top count is shared by two or more columns
 *   (a tie), or when the top column is not-a-face, unknown or contempt (contempt is
 *   not a game emotion).
 * - Training distribution: rows whose not-a-face votes are the most (ties included)
 *   are dropped from training. Otherwise the votes for the 7 game emotions,
 *   normalised to sum 1; unknown and contempt votes are discarded (they name no game
 *   emotion). A row with no game-emotion vote at all has no distribution (null) and
 *   is trained on its original label alone.
 */
import { EMOTION_COUNT, EMOTIONS, type Emotion } from '../../shared/emotions.ts';

/** FER+ vote columns in file order. */
export const FERPLUS_COLUMNS = [
  'neutral',
  'happiness',
  'surprise',
  'sadness',
  'anger',
  'disgust',
  'fear',
  'contempt',
  'unknown',
  'NF',
] as const;
export const FERPLUS_VOTE_COLUMNS = FERPLUS_COLUMNS.length;

const COLUMN_OF_EMOTION: Record<Emotion, number> = {
  angry: 4,
  disgust: 5,
  fear: 6,
  happy: 1,
  sad: 3,
  surprise: 2,
  neutral: 0,
};

/** For each game emotion (FER2013 order), its FER+ vote column. */
export const FERPLUS_COLUMN_OF_EMOTION: readonly number[] = EMOTIONS.map((e) => COLUMN_OF_EMOTION[e]);
export const NF_COLUMN = 9;

/** Majority label of one row of votes: a FER2013 class id, or -1 when the row is excluded. */
export function ferPlusMajority(votes: ArrayLike<number>, offset = 0): number {
  let top = -1;
  let topCol = -1;
  let shared = false;
  for (let c = 0; c < FERPLUS_VOTE_COLUMNS; c++) {
    const v = votes[offset + c] as number;
    if (v > top) {
      top = v;
      topCol = c;
      shared = false;
    } else if (v === top) shared = true;
  }
  if (shared || top <= 0) return -1;
  return FERPLUS_COLUMN_OF_EMOTION.indexOf(topCol);
}

/** Majority labels of count rows (Int8Array; -1 = excluded). */
export function ferPlusMajorities(votes: Uint8Array, count: number): Int8Array {
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) out[i] = ferPlusMajority(votes, i * FERPLUS_VOTE_COLUMNS);
  return out;
}

/** Whether a row is dropped from training: not-a-face has at least as many votes as any other column. */
export function isNotAFace(votes: ArrayLike<number>, offset = 0): boolean {
  const nf = votes[offset + NF_COLUMN] as number;
  if (nf === 0) return false;
  for (let c = 0; c < NF_COLUMN; c++) if ((votes[offset + c] as number) > nf) return false;
  return true;
}

/**
 * The 7-emotion vote distribution of one row written at out[outOffset…] (FER2013
 * order); returns false (and writes nothing) when the row has no game-emotion vote.
 */
export function writeFerPlusDistribution(
  votes: ArrayLike<number>,
  offset: number,
  out: Float32Array,
  outOffset: number,
): boolean {
  let total = 0;
  for (let e = 0; e < EMOTION_COUNT; e++) total += votes[offset + (FERPLUS_COLUMN_OF_EMOTION[e] as number)] as number;
  if (total <= 0) return false;
  for (let e = 0; e < EMOTION_COUNT; e++) {
    out[outOffset + e] = (votes[offset + (FERPLUS_COLUMN_OF_EMOTION[e] as number)] as number) / total;
  }
  return true;
}
