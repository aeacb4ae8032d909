import { BITS_PER_SYMBOL } from './generate-code.js';

export interface Guessability {
  /** Entropy of the random part of one code. */
  bitsPerCode: number;
  /** Codes of this reward that would be accepted now (expiries of the current quarter hour still counted: never too few). */
  liveCodes: number;
  /** How many random guesses of a well-formed code it takes, on average, to hit a live one; null when none is live. */
  expectedGuessesPerHit: number | null;
}

/** How guessable a reward's codes are, so a too-short format is visible before launch. */
export function guessability(codeLength: number, liveCodes: number): Guessability {
  const bitsPerCode = codeLength * BITS_PER_SYMBOL;
  return {
    bitsPerCode,
    liveCodes,
    expectedGuessesPerHit: liveCodes > 0 ? 2 ** bitsPerCode / liveCodes : null,
  };
}
