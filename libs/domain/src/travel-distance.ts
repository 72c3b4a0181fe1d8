// Travel distance from a patient's postcode (or its district) to a hospital site, and offer ranking.

export interface LatLon {
  readonly latitude: number;
  readonly longitude: number;
}

const EARTH_RADIUS_MILES = 3958.8;

/** Great-circle distance in miles, rounded to one decimal place. */
export function distanceMiles(a: LatLon, b: LatLon): number {
  const rad = (x: number) => (x * Math.PI) / 180;
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return Math.round(2 * EARTH_RADIUS_MILES * Math.asin(Math.min(1, Math.sqrt(h))) * 10) / 10;
}

/** The outward code of a UK postcode ("HR1 2ER" -> "HR1"), or null if it is not one. */
export function postcodeDistrict(postcode: string): string | null {
  const compact = postcode.toUpperCase().replace(/\s+/g, '');
  const m = /^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$/.exec(compact);
  return m ? m[1] : null;
}

export function isUkPostcode(postcode: string): boolean {
  return postcodeDistrict(postcode) !== null;
}

export interface CandidateSite extends LatLon {
  readonly trustOds: string;
  readonly siteOds: string;
}

export interface RankedOffer {
  readonly receivingOds: string;
  readonly siteOds: string;
  /** Null when the patient's home could not be placed: never 0, which would read as "less than 1 mile". */
  readonly distanceMiles: number | null;
}

/** What a distance was worked out from: the full postcode, its district's centroid, or nothing (not known). */
export type DistanceBasis = 'postcode' | 'district' | 'unknown';

/**
 * Ranks the sites with capacity nearest first. With the home unknown, distances are null and sites
 * rank by trust code; the travel radius cannot be applied then, and the caller says so (the offer
 * carries distance basis 'unknown', the patient reads "we could not work out the distance").
 * With a travel radius and a known home, sites beyond it are left out.
 */
export function rankOffers(sites: readonly CandidateSite[], home: LatLon | null, radiusMiles?: number | null): RankedOffer[] {
  const ranked = sites.map((s) => ({
    receivingOds: s.trustOds,
    siteOds: s.siteOds,
    distanceMiles: home ? distanceMiles(home, s) : null,
  }));
  const within = radiusMiles != null && home ? ranked.filter((o) => o.distanceMiles! <= radiusMiles) : ranked;
  return within.sort((a, b) => (a.distanceMiles ?? 0) - (b.distanceMiles ?? 0) || a.receivingOds.localeCompare(b.receivingOds));
}
