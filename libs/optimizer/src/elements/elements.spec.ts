import { ELEMENT_PROPERTIES, elementProperties, elementSymbols } from './elements.js';

describe('elemental properties', () => {
  it('cover H to Bi, lanthanides included, with every property', () => {
    const symbols = elementSymbols();
    expect(symbols).toHaveLength(83);
    expect(symbols.slice(0, 3)).toEqual(['H', 'He', 'Li']);
    expect(symbols.at(-1)).toBe('Bi');
    for (const [z, s] of symbols.entries()) {
      const e = elementProperties(s)!;
      expect(e.atomicNumber).toBe(z + 1);
      for (const p of ELEMENT_PROPERTIES) expect(Number.isFinite(e.values[p]) && e.values[p] > 0).toBe(true);
    }
    for (const s of ['La', 'Ce', 'Pr', 'Nd', 'Pm', 'Sm', 'Eu', 'Gd', 'Tb', 'Dy', 'Ho', 'Er', 'Tm', 'Yb', 'Lu'])
      expect(elementProperties(s)).toBeDefined();
  });

  it('hold well-known values', () => {
    const fe = elementProperties('Fe')!.values;
    expect(fe.electronegativity).toBe(1.83);
    expect(fe.atomicWeight).toBe(55.845);
    expect(fe.meltingPoint).toBeGreaterThan(1805); // CRC: 1811 K; the source's older value is 1808 K
    expect(fe.meltingPoint).toBeLessThan(1815);
    expect(fe.density).toBeCloseTo(7.874, 3);
    expect(fe.ionisationEnergy).toBeCloseTo(762.5, 1); // NIST: 7.9025 eV
    expect(fe.covalentRadius).toBe(132); // Cordero et al. 2008, low spin
    const o = elementProperties('O')!.values;
    expect(o.electronegativity).toBe(3.44);
    expect(o.atomicWeight).toBe(15.999);
    expect(elementProperties('H')!.values.ionisationEnergy).toBe(1312);
    expect(elementProperties('Au')!.values.meltingPoint).toBeCloseTo(1337.73, 2);
    expect(elementProperties('Cu')!.values.fusionEnthalpy).toBeCloseTo(13.0, 1);
    expect(elementProperties('F')!.values.electronegativity).toBe(3.98);
  });

  it('impute missing values by the stated rules, and say which', () => {
    const gd = elementProperties('Gd')!;
    expect(gd.imputed).toEqual(['fusionEnthalpy']);
    // Richard's rule: ΔH_fus ≈ R·T_m.
    expect(gd.values.fusionEnthalpy).toBeCloseTo(8.314462618e-3 * gd.values.meltingPoint, 12);
    const ar = elementProperties('Ar')!;
    expect(ar.imputed).toEqual(['electronegativity', 'fusionEnthalpy']);
    expect(elementProperties('Fe')!.imputed).toEqual([]);
  });

  it('know only element symbols, case-sensitively', () => {
    expect(elementProperties('fe')).toBeUndefined();
    expect(elementProperties('Xx')).toBeUndefined();
    expect(elementProperties('Po')).toBeUndefined();
    expect(elementProperties('constructor')).toBeUndefined();
  });
});
