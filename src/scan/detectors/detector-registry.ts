import type { Detector } from './detector-spec.js';
import { keywordDetectors } from './keyword-detectors.js';
import { prefixDetectors } from './prefix-detectors.js';

export type { Detector } from './detector-spec.js';

/** Every detector rekey ships, in a stable order (SARIF rule indexes follow it). */
export const allDetectors: readonly Detector[] = [...prefixDetectors, ...keywordDetectors];

export function findDetector(id: string): Detector | undefined {
  return allDetectors.find((detector) => detector.id === id);
}

function escapeLiteral(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The detectors, compiled for the engine: one union regex of every anchor. */
export interface CompiledDetectors {
  detectors: readonly Detector[];
  /** Global regex matching any anchor literal: the prefilter pass. */
  anchorPattern: RegExp;
  /** Which detectors each anchor literal triggers. */
  byAnchor: ReadonlyMap<string, readonly Detector[]>;
  /** The longest possible span (window) of any detector, for chunk overlap. */
  maxReach: number;
}

export function compileDetectors(detectors: readonly Detector[] = allDetectors): CompiledDetectors {
  const byAnchor = new Map<string, Detector[]>();
  let maxReach = 0;
  for (const detector of detectors) {
    maxReach = Math.max(maxReach, detector.reach.before + detector.reach.after);
    for (const anchor of detector.anchors) {
      const list = byAnchor.get(anchor) ?? [];
      list.push(detector);
      byAnchor.set(anchor, list);
    }
  }
  // Longest first, so that an anchor that contains another wins at the same position.
  const anchors = [...byAnchor.keys()].sort((left, right) => right.length - left.length);
  const anchorPattern = new RegExp(anchors.map(escapeLiteral).join('|'), 'g');
  return { detectors, anchorPattern, byAnchor, maxReach };
}

let defaultCompiled: CompiledDetectors | undefined;

export function defaultDetectors(): CompiledDetectors {
  defaultCompiled ??= compileDetectors();
  return defaultCompiled;
}
