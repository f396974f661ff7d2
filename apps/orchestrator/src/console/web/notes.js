// Plain-language notes on what the console shows, from the records the service keeps.

/**
 * Why a batch looks as it does, from its provenance (the strategy's record):
 * an initial design before the model takes over, or a stall escape that sends
 * proposals to another combination of choices. Null when there is nothing to say.
 */
export function batchNote(strategy) {
  const settings = strategy?.settings ?? {};
  if (settings.initialDesignOf)
    return `Initial design (${strategy.name}): ${settings.initialDesignOf} proposes once the design's results are in.`;
  const stall = settings.fit?.stall;
  if (!stall || !(stall.escapes > 0)) return null;
  const some = stall.escapes === 1 ? '1 of these proposals' : `${stall.escapes} of these proposals`;
  const why = `No significant improvement in the last ${stall.evaluations} model-chosen results`;
  if (!stall.escapedTo) return `${why}: ${some} asks for an improvement by a margin, away from the best region.`;
  const choices = Object.entries(stall.escapedTo)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
  return `${why}: ${some} tries ${choices}, aiming to beat the best result seen there.`;
}
