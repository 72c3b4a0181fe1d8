import { describe, expect, it, test } from '@jest/globals';
import fc from 'fast-check';
import { distanceMiles, isUkPostcode, postcodeDistrict, rankOffers, type CandidateSite, type LatLon } from './travel-distance.js';

const HEREFORD: LatLon = { latitude: 52.0565, longitude: -2.716 };
const WARWICK: LatLon = { latitude: 52.2823, longitude: -1.5849 };
const WORCESTER: LatLon = { latitude: 52.1936, longitude: -2.2216 };
const BIRMINGHAM: LatLon = { latitude: 52.4862, longitude: -1.8904 };
const LONDON: LatLon = { latitude: 51.5074, longitude: -0.1278 };

const latLon = fc.record({
  latitude: fc.double({ min: -90, max: 90, noNaN: true }),
  longitude: fc.double({ min: -180, max: 180, noNaN: true }),
});

describe('distanceMiles', () => {
  it('Hereford to Warwick is about 50 miles', () => {
    const miles = distanceMiles(HEREFORD, WARWICK);
    expect(miles).toBeGreaterThanOrEqual(45);
    expect(miles).toBeLessThanOrEqual(55);
  });

  it('rounds to one decimal place', () => {
    const miles = distanceMiles(HEREFORD, WARWICK);
    expect(Math.round(miles * 10) / 10).toBe(miles);
    expect(miles).toBe(50.4);
  });

  it('is zero for the same point', () => {
    expect(distanceMiles(HEREFORD, HEREFORD)).toBe(0);
    expect(distanceMiles({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 0 })).toBe(0);
  });

  it('other known distances are plausible', () => {
    expect(distanceMiles(HEREFORD, WORCESTER)).toBeGreaterThan(20);
    expect(distanceMiles(HEREFORD, WORCESTER)).toBeLessThan(30);
    expect(distanceMiles(BIRMINGHAM, LONDON)).toBeGreaterThan(95);
    expect(distanceMiles(BIRMINGHAM, LONDON)).toBeLessThan(110);
    // half the equator: pi * R
    expect(distanceMiles({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 180 })).toBeCloseTo(Math.PI * 3958.8, 0);
    // pole to pole
    expect(distanceMiles({ latitude: 90, longitude: 0 }, { latitude: -90, longitude: 0 })).toBeCloseTo(Math.PI * 3958.8, 0);
  });

  it('property: symmetric', () => {
    fc.assert(
      fc.property(latLon, latLon, (a, b) => {
        expect(distanceMiles(a, b)).toBe(distanceMiles(b, a));
      }),
    );
  });

  it('property: non-negative, at most half the circumference, and zero from a point to itself', () => {
    fc.assert(
      fc.property(latLon, latLon, (a, b) => {
        const miles = distanceMiles(a, b);
        expect(miles).toBeGreaterThanOrEqual(0);
        expect(miles).toBeLessThanOrEqual(Math.round(Math.PI * 3958.8 * 10) / 10);
        expect(distanceMiles(a, a)).toBe(0);
      }),
    );
  });

  it('property: triangle inequality (within rounding)', () => {
    fc.assert(
      fc.property(latLon, latLon, latLon, (a, b, c) => {
        expect(distanceMiles(a, c)).toBeLessThanOrEqual(distanceMiles(a, b) + distanceMiles(b, c) + 0.15);
      }),
    );
  });
});

describe('postcodeDistrict', () => {
  test.each([
    ['HR1 2ER', 'HR1'],
    ['cv34 5bw', 'CV34'],
    ['W1A 1AA', 'W1A'],
    ['EC1A 1BB', 'EC1A'],
    ['M1 1AE', 'M1'],
    ['B33 8TH', 'B33'],
    ['CR2 6XH', 'CR2'],
    ['DN55 1PT', 'DN55'],
    ['HR12ER', 'HR1'],
    ['  hr1   2er  ', 'HR1'],
    ['SW1A 2AA', 'SW1A'],
  ])('%p -> %p', (postcode, district) => {
    expect(postcodeDistrict(postcode)).toBe(district);
    expect(isUkPostcode(postcode)).toBe(true);
  });

  test.each(['HELLO', '', 'HR1', 'HR1 2E', 'HR1 2ERX', '12 3AB', 'HR1-2ER', 'HR1 22R', 'ABC1 2ER', 'HR1 2E1'])('refuses %p', (postcode) => {
    expect(postcodeDistrict(postcode)).toBeNull();
    expect(isUkPostcode(postcode)).toBe(false);
  });

  it('property: the district of a generated postcode is its outward code, whatever the case and spacing', () => {
    const letter = fc.constantFrom(...'ABCDEFGHIJKLMNOPRSTUWYZ');
    const digit = fc.constantFrom(...'0123456789');
    const outward = fc.oneof(
      fc.tuple(letter, digit).map((p) => p.join('')), // A9
      fc.tuple(letter, digit, digit).map((p) => p.join('')), // A99
      fc.tuple(letter, letter, digit).map((p) => p.join('')), // AA9
      fc.tuple(letter, letter, digit, digit).map((p) => p.join('')), // AA99
      fc.tuple(letter, digit, letter).map((p) => p.join('')), // A9A
      fc.tuple(letter, letter, digit, letter).map((p) => p.join('')), // AA9A
    );
    const inward = fc.tuple(digit, letter, letter).map((p) => p.join(''));
    fc.assert(
      fc.property(outward, inward, fc.constantFrom('', ' ', '  '), fc.boolean(), (out, inw, space, lower) => {
        const written = `${out}${space}${inw}`;
        expect(postcodeDistrict(lower ? written.toLowerCase() : written)).toBe(out);
      }),
    );
  });
});

describe('rankOffers', () => {
  const site = (trustOds: string, siteOds: string, at: LatLon): CandidateSite => ({ trustOds, siteOds, ...at });
  const SITES: CandidateSite[] = [
    site('RLT', 'RLT01', BIRMINGHAM),
    site('RWP', 'RWP01', WORCESTER),
    site('RJC', 'RJC02', WARWICK),
    site('RAL', 'RAL01', LONDON),
  ];

  it('sorts nearest first with distances from home', () => {
    const ranked = rankOffers(SITES, HEREFORD);
    expect(ranked.map((o) => o.siteOds)).toEqual(['RWP01', 'RLT01', 'RJC02', 'RAL01']);
    expect(ranked[2]).toEqual({ receivingOds: 'RJC', siteOds: 'RJC02', distanceMiles: distanceMiles(HEREFORD, WARWICK) });
    for (let i = 1; i < ranked.length; i++) expect(ranked[i].distanceMiles!).toBeGreaterThanOrEqual(ranked[i - 1].distanceMiles!);
  });

  it('leaves out sites beyond the travel radius, keeping one exactly at it', () => {
    const worcester = distanceMiles(HEREFORD, WORCESTER);
    const warwick = distanceMiles(HEREFORD, WARWICK);
    const birmingham = distanceMiles(HEREFORD, BIRMINGHAM);
    expect(birmingham).toBeLessThan(warwick);
    expect(rankOffers(SITES, HEREFORD, warwick).map((o) => o.siteOds)).toEqual(['RWP01', 'RLT01', 'RJC02']);
    expect(rankOffers(SITES, HEREFORD, warwick - 0.1).map((o) => o.siteOds)).toEqual(['RWP01', 'RLT01']);
    expect(rankOffers(SITES, HEREFORD, birmingham).map((o) => o.siteOds)).toEqual(['RWP01', 'RLT01']);
    expect(rankOffers(SITES, HEREFORD, birmingham - 0.1).map((o) => o.siteOds)).toEqual(['RWP01']);
    expect(rankOffers(SITES, HEREFORD, worcester).map((o) => o.siteOds)).toEqual(['RWP01']);
    expect(rankOffers(SITES, HEREFORD, worcester - 0.1)).toEqual([]);
    expect(rankOffers(SITES, HEREFORD, 10_000)).toHaveLength(4);
  });

  it('a null or undefined radius means no limit', () => {
    expect(rankOffers(SITES, HEREFORD, null)).toHaveLength(4);
    expect(rankOffers(SITES, HEREFORD, undefined)).toHaveLength(4);
  });

  it('with an unknown home, every distance is unknown (null, never 0) and offers are sorted by trust code; the radius cannot apply', () => {
    const ranked = rankOffers(SITES, null, 5);
    expect(ranked.map((o) => o.receivingOds)).toEqual(['RAL', 'RJC', 'RLT', 'RWP']);
    expect(ranked.every((o) => o.distanceMiles === null)).toBe(true);
    expect(rankOffers(SITES, null).map((o) => o.receivingOds)).toEqual(['RAL', 'RJC', 'RLT', 'RWP']);
  });

  it('equal distances are ordered by trust code', () => {
    const ranked = rankOffers([site('RWP', 'RWP01', WARWICK), site('RJC', 'RJC02', WARWICK)], HEREFORD);
    expect(ranked.map((o) => o.receivingOds)).toEqual(['RJC', 'RWP']);
  });

  it('does not modify the input and handles no sites', () => {
    const copy = SITES.map((s) => ({ ...s }));
    rankOffers(SITES, HEREFORD, 30);
    expect(SITES).toEqual(copy);
    expect(rankOffers([], HEREFORD)).toEqual([]);
    expect(rankOffers([], null)).toEqual([]);
  });

  it('property: output is the in-radius subset, sorted by distance then trust code', () => {
    const ukPoint = fc.record({
      latitude: fc.double({ min: 50, max: 58, noNaN: true }),
      longitude: fc.double({ min: -6, max: 2, noNaN: true }),
    });
    const candidate = fc.record({
      trustOds: fc.constantFrom('RLQ', 'RJC', 'RLT', 'RWP', 'RAL'),
      siteOds: fc.constantFrom('S01', 'S02', 'S03'),
      latitude: fc.double({ min: 50, max: 58, noNaN: true }),
      longitude: fc.double({ min: -6, max: 2, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(candidate, { maxLength: 12 }), fc.option(ukPoint), fc.option(fc.integer({ min: 0, max: 400 })), (sites, home, radius) => {
        const ranked = rankOffers(sites, home, radius);
        const expectedCount = home && radius != null ? sites.filter((s) => distanceMiles(home, s) <= radius).length : sites.length;
        expect(ranked).toHaveLength(expectedCount);
        for (const o of ranked) {
          if (home && radius != null) expect(o.distanceMiles).toBeLessThanOrEqual(radius);
          if (!home) expect(o.distanceMiles).toBeNull();
        }
        for (let i = 1; i < ranked.length; i++) {
          const prev = ranked[i - 1];
          const cur = ranked[i];
          expect(cur.distanceMiles ?? 0).toBeGreaterThanOrEqual(prev.distanceMiles ?? 0);
          if (cur.distanceMiles === prev.distanceMiles) expect(prev.receivingOds.localeCompare(cur.receivingOds)).toBeLessThanOrEqual(0);
        }
      }),
    );
  });
});
