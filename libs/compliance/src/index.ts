// Public API of @strongroom/compliance: PAN protection (detection, keyed tokens, masks). AML,
// sanctions, field encryption, classification and retention are not built yet (see README).
export { createPanProtector, maskPan, type PanProtector, type ProtectedPan, type PanKey } from './pan';
export { redactPans as maskPansInText, luhnValid } from '@strongroom/logging';
