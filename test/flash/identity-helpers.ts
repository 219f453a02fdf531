// Small re-exports for the flash tests.
export { devRootCertificate } from '../../flash/certs.ts';
export { splitDer as splitChain } from '../../flash/der.ts';
