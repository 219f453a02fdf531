// Feature flags set by esbuild `define` (see esbuild.config.mjs). A build can drop what it does not need.
declare const __FEATURE_WSS__: boolean;
declare const __FEATURE_MESH__: boolean;
declare const __FEATURE_PB_ADV__: boolean;
declare const __FEATURE_PB_GATT__: boolean;
declare const __FEATURE_SOFTAP__: boolean;
