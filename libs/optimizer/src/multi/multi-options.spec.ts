import { OUTCOME_GP_DEFAULTS, outcomeGpOptions } from './multi-options.js';

describe('outcomeGpOptions', () => {
  it('fits the outcome GPs once from the priors’ modes unless told otherwise', () => {
    expect(outcomeGpOptions(undefined)).toEqual({ restarts: 0, candidates: 0, warmStart: false });
    expect(outcomeGpOptions({})).toEqual(OUTCOME_GP_DEFAULTS);
  });

  it('lets the options’ gp override each default and pass its other settings', () => {
    const gp = outcomeGpOptions({ restarts: 2, warmStart: true, kernel: 'rbf' });
    expect(gp).toEqual({ restarts: 2, candidates: 0, warmStart: true, kernel: 'rbf' });
  });
});
