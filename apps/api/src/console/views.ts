// The console's pages render through the API's one Nunjucks environment (../views/views.ts), shared with the patient's offer page.
export { NHSUK_DIST, renderPage } from '../views/views.js';
