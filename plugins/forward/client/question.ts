/** Whether an upstream message answers the query that was sent. */
import { Flag, HEADER_SIZE } from '../../../src/wire/constants.js';

/**
 * True when `msg` is a response (QR=1) with exactly one question equal to the query's: the same
 * name ignoring ASCII case, the same type and class. `query[12, questionEnd)` is the question as
 * sent; an upstream echoes it byte for byte except, at most, for letter case.
 */
export function answersQuestion(query: Buffer, questionEnd: number, msg: Buffer): boolean {
  if (msg.length < questionEnd) return false;
  if ((msg[2]! & (Flag.QR >> 8)) === 0) return false;
  if (msg[4] !== 0 || msg[5] !== 1) return false;
  for (let i = HEADER_SIZE; i < questionEnd; i++) {
    const a = query[i]!;
    const b = msg[i]!;
    if (a === b) continue;
    // Label length octets are below 64, so only letters can differ here without the names differing.
    const la = a >= 0x41 && a <= 0x5a ? a + 0x20 : a;
    const lb = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
    if (la !== lb || la < 0x61 || la > 0x7a) return false;
  }
  return true;
}
