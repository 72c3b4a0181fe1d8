// Travel distance from a patient's postcode district to a hospital site, and offer ranking.

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
  readonly distanceMiles: number;
}

/**
 * Ranks the sites with capacity nearest first; unknown home location ranks by trust code.
 * With a travel radius, sites beyond it are left out.
 */
export function rankOffers(sites: readonly CandidateSite[], home: LatLon | null, radiusMiles?: number | null): RankedOffer[] {
  const ranked = sites.map((s) => ({
    receivingOds: s.trustOds,
    siteOds: s.siteOds,
    distanceMiles: home ? distanceMiles(home, s) : 0,
  }));
  const within = radiusMiles != null && home ? ranked.filter((o) => o.distanceMiles <= radiusMiles) : ranked;
  return within.sort((a, b) => a.distanceMiles - b.distanceMiles || a.receivingOds.localeCompare(b.receivingOds));
}
