import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parameterProblems, parameterSchema } from '#optimizer';
import { capabilitiesProblems, checkAgainstCapabilities } from '#device-sdk';
import { datasetsDir, parseCsv, readDataset } from './csv.js';
import type { Emulator } from './emulator.js';
import { hplcEmulator, type HplcEmulator } from './hplc.js';
import { ocmEmulator, type OcmEmulator } from './ocm.js';
import { oerEmulator, type OerEmulator } from './oer.js';
import { directArylationCampaignParameters, directArylationEmulator, suzukiEmulator, type ReactionPool } from './reaction-pools.js';

/** Every emulator's campaign parameters are valid campaign parameters, and its capabilities a valid declaration. */
function checkContract(e: Emulator): void {
  const params = e.campaignParameters();
  const parsed = params.map((p, index) => ({ index, parameter: parameterSchema.parse(p) }));
  expect(parameterProblems(parsed)).toEqual([]);
  expect(capabilitiesProblems(e.capabilities)).toEqual([]);
  expect(Object.keys(e.capabilities.parameters ?? {}).sort()).toEqual(params.map((p) => p.name).sort());
}

describe('dataset emulators', () => {
  let arylation: ReactionPool;
  let suzuki: ReactionPool;
  let ocm: OcmEmulator;
  let oer: OerEmulator;
  let hplc: HplcEmulator;

  beforeAll(() => {
    arylation = directArylationEmulator();
    suzuki = suzukiEmulator();
    ocm = ocmEmulator();
    oer = oerEmulator();
    hplc = hplcEmulator();
  });

  it('direct arylation: answers the measured yield and cost of the exact combination', () => {
    checkContract(arylation);
    expect(arylation.size).toBe(1728);
    // First data row of the file: KOAc / BrettPhos / DMAc / 0.1 M / 105 °C -> 5.47, cost 0.145775.
    expect(arylation.evaluate({ base: 'KOAc', ligand: 'BrettPhos', solvent: 'DMAc', concentration_M: 0.1, temperature_C: 105 })).toEqual({
      ok: true,
      values: { yield: 5.47, cost: 0.145775 },
      metadata: { dataset: 'direct_arylation_edbo.csv' },
    });
    // The README's best: CsOPiv / CgMe-PPh / DMAc / 0.153 M / 105 °C -> 100; categorical encodings of the grid work too.
    expect(
      arylation.evaluate({ base: 'CsOPiv', ligand: 'CgMe-PPh', solvent: 'DMAc', concentration_M: '0.153', temperature_C: '105' }),
    ).toMatchObject({ ok: true, values: { yield: 100 } });
  });

  it('direct arylation: an unknown choice or off-grid value fails with a clear reason', () => {
    const base = { base: 'KOAc', ligand: 'BrettPhos', solvent: 'DMAc', concentration_M: 0.1, temperature_C: 105 };
    expect(arylation.evaluate({ ...base, ligand: 'SPhos' })).toEqual({
      ok: false,
      reason: expect.stringMatching(/^ligand "SPhos" is not in the direct-arylation pool \(choices: .*BrettPhos/),
    });
    expect(arylation.evaluate({ ...base, temperature_C: 100 })).toEqual({
      ok: false,
      reason: 'parameter "temperature_C" = 100 was not measured (measured values: 90, 105, 120)',
    });
    const { solvent: _omit, ...missing } = base;
    expect(arylation.evaluate(missing)).toEqual({ ok: false, reason: expect.stringContaining('missing parameter "solvent"') });
  });

  it('direct arylation: campaign parameters carry the DFT descriptors per choice', () => {
    const params = directArylationCampaignParameters();
    expect(params.map((p) => [p.name, p.type])).toEqual([
      ['base', 'categorical'],
      ['ligand', 'categorical'],
      ['solvent', 'categorical'],
      ['concentration_M', 'categorical'],
      ['temperature_C', 'categorical'],
    ]);
    const base = params[0];
    if (base.type !== 'categorical') throw new Error('categorical expected');
    expect(base.choices.sort()).toEqual(['CsOAc', 'CsOPiv', 'KOAc', 'KOPiv']);
    expect(base.descriptors?.KOAc).toEqual({
      dipole: 7.1686,
      molar_mass: 98.1428,
      molar_volume: 545.524,
      homo_energy: -0.19743,
      lumo_energy: -0.04683,
      electronegativity: 0.12213,
      hardness: 0.0753,
    });
    expect(params[4]).toMatchObject({ choices: ['90', '105', '120'], descriptors: { '90': { temperature_C: 90 } } });
    expect(arylation.campaignParameters({ ordinal: 'continuous', descriptors: false })[4]).toEqual({
      name: 'temperature_C',
      type: 'continuous',
      low: 90,
      high: 120,
      scale: 'linear',
      unit: '°C',
    });
    // A command built from the categorical encoding passes the device's declared limits.
    expect(
      checkAgainstCapabilities(
        { base: 'KOAc', ligand: 'PPh3', solvent: 'BuCN', concentration_M: '0.057', temperature_C: 90 },
        arylation.capabilities,
      ),
    ).toEqual({ ok: true });
  });

  it('Suzuki: answers the measured yield; unknown combination fails', () => {
    checkContract(suzuki);
    expect(suzuki.size).toBe(3696);
    expect(
      suzuki.evaluate({ electrophile: 'Ar1Cl', nucleophile: 'Ar2BOH2', ligand: 'P(tBu)3', base: 'NaOH', solvent: 'MeCN' }),
    ).toMatchObject({ ok: true, values: { yield: 4.76 } });
    expect(
      suzuki.evaluate({ electrophile: 'Ar1I', nucleophile: 'Ar2BPin', ligand: 'SPhos', base: 'LiOtBu', solvent: 'MeOH' }),
    ).toMatchObject({ ok: true, values: { yield: 100 } });
    expect(suzuki.evaluate({ electrophile: 'Ar1F', nucleophile: 'Ar2BPin', ligand: 'SPhos', base: 'LiOtBu', solvent: 'MeOH' })).toEqual({
      ok: false,
      reason: expect.stringContaining('electrophile "Ar1F" is not in the suzuki-miyaura pool'),
    });
    expect(suzuki.campaignParameters().find((p) => p.name === 'ligand')).toMatchObject({
      descriptors: { SPhos: { dipole: expect.any(Number) } },
    });
  });

  it('OCM: answers the measured C2 yield; the unmeasured 900 °C on Na/SiO2 fails', () => {
    checkContract(ocm);
    expect(ocm.size).toBe(12708);
    expect(ocm.catalysts).toHaveLength(59);
    const best = { catalyst: 'Mn-Na2WO4/SiO2', temperature_C: 800, total_flow_mL_min: 15, ch4_o2_ratio: 2, ar_fraction: 0.7 };
    expect(ocm.evaluate(best)).toMatchObject({ ok: true, values: { C2y: 21.03, CH4_conv: 43.5, C2s: 48.34 } });
    // First data row: Mn-Na2WO4/BN, 900 °C, 10 mL/min, Ar 1.5/10, CH4/O2 2 -> C2y 5.86.
    expect(
      ocm.evaluate({ catalyst: 'Mn-Na2WO4/BN', temperature_C: 900, total_flow_mL_min: 10, ch4_o2_ratio: 2, ar_fraction: 0.15 }),
    ).toMatchObject({ ok: true, values: { C2y: 5.86 } });
    expect(ocm.evaluate({ ...best, catalyst: 'Na/SiO2', temperature_C: 900 })).toEqual({
      ok: false,
      reason: expect.stringMatching(/^the condition Na\/SiO2 @ temperature_C=900.* was not measured/),
    });
    expect(ocm.evaluate({ ...best, catalyst: 'Pt/C' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('catalyst "Pt/C" was not screened'),
    });
    expect(ocm.evaluate({ ...best, ar_fraction: 0.5 })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('measured values: 0.15, 0.4, 0.7'),
    });
    expect(ocm.campaignParameters()[0]).toMatchObject({
      name: 'catalyst',
      descriptors: { 'Mn-Na2WO4/SiO2': { M1_atom_number: 25, M2_atom_number: 11, M3_atom_number: 74 } },
    });
  });

  it('OER: the measured overpotential at a measured composition, the nearest one otherwise', () => {
    checkContract(oer);
    expect(oer.size).toBe(2121);
    expect(oer.evaluate({ Ni: 0.6, Fe: 0.2, Mn: 0.1, Ce: 0.1 })).toMatchObject({
      ok: true,
      values: { overpotential: 0.340246 },
      metadata: { distance: 0 },
    });
    // Unnormalised fractions are normalised: 6:2:1:1 is the same composition.
    expect(oer.evaluate({ Ni: 6, Fe: 2, Co: 0, Mn: 1, Ce: 1, La: 0 })).toMatchObject({ ok: true, values: { overpotential: 0.340246 } });
    const near = oer.evaluate({ Ni: 0.62, Fe: 0.19, Mn: 0.1, Ce: 0.09 });
    expect(near).toMatchObject({
      ok: true,
      values: { overpotential: 0.340246 },
      metadata: { composition: 'Ni0.6 Fe0.2 Co0.0 Mn0.1 Ce0.1 La0.0' },
    });
    expect(oer.evaluate({ Ni: 0, Fe: 0 })).toEqual({
      ok: false,
      reason: 'the fractions of Ni, Fe, Co, Mn, Ce, La are all 0: no composition',
    });
    const strict = oerEmulator({ maxDistance: 0.05 });
    expect(strict.evaluate({ Ni: 0.2, Fe: 0.2, Co: 0.2, Mn: 0.2, Ce: 0.2 })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no measured composition within 0.05'),
    });
  });

  it('HPLC: a k-NN emulator whose cross-validated error is reported, answering replicates by their mean', () => {
    checkContract(hplc);
    const f = hplc.fit;
    expect(f).toMatchObject({ rows: 1386, settings: 1007, replicatePairs: 379 });
    expect(f.r2).toBeGreaterThan(0.7);
    expect(f.rmse).toBeLessThan(300);
    process.stderr.write(`HPLC k-NN fit: ${JSON.stringify(f)}\n`);
    // A measured setting (first row of the file, measured once: 0) is answered by its own value.
    const first = {
      sample_loop: 0.05871507394,
      additional_volume: 0.01619303797,
      tubing_volume: 0.1293634053,
      sample_flow: 2.366009758,
      push_speed: 108.7100012,
      wait_time: 5.369665306,
    };
    expect(hplc.evaluate(first)).toMatchObject({ ok: true, values: { peak_area: 0 } });
    const between = hplc.evaluate({ ...first, push_speed: 120 });
    expect(between.ok && between.values.peak_area).toBeGreaterThanOrEqual(0);
    // Equal weights fit worse: the relevance weights earn their place.
    const plain = hplcEmulator({ weights: [1, 1, 1, 1, 1, 1] }).fit;
    expect(plain.rmse).toBeGreaterThan(f.rmse * 1.2);
    expect(() => hplcEmulator({ weights: [0, 0, 0, 0, 0, 0] })).toThrow(/weights must be 6 numbers/);
    expect(hplc.evaluate({ ...first, wait_time: 11 })).toEqual({
      ok: false,
      reason: 'parameter "wait_time" = 11 is outside the calibrated range [0.5, 10]',
    });
  });

  it('parses CSV with quotes and reports a missing dataset directory or file clearly', async () => {
    expect(parseCsv('a,b\n"x, y","say ""hi"""\r\n1,2\n')).toMatchObject({
      columns: ['a', 'b'],
      rows: [
        ['x, y', 'say "hi"'],
        ['1', '2'],
      ],
    });
    expect(() => parseCsv('a,b\n1\n', 'f.csv')).toThrow('f.csv: line 2 has 1 fields, the header has 2');
    expect(() => datasetsDir({ HAKKEN_DATASETS_DIR: '/nonexistent/datasets' })).toThrow(
      'HAKKEN_DATASETS_DIR=/nonexistent/datasets does not exist',
    );
    const dir = await mkdtemp(join(tmpdir(), 'hakken-ds-'));
    try {
      expect(() => readDataset('oer_plate_a.csv', dir)).toThrow(
        `dataset oer_plate_a.csv not found in ${dir} (set HAKKEN_DATASETS_DIR to the folder holding it)`,
      );
      await writeFile(join(dir, 'oer_plate_a.csv'), 'Ni,Fe\n0.5,0.5\n');
      expect(() => oerEmulator(undefined, dir)).toThrow(/no column "Co"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
