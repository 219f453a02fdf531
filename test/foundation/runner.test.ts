import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { featureDefines } from '../../esbuild.config.mjs';

test('feature flags default on and can be switched off', () => {
  assert.is(featureDefines([]).__FEATURE_WSS__, 'true');
  assert.is(featureDefines(['--no-wss']).__FEATURE_WSS__, 'false');
  assert.is(featureDefines(['--no-mesh']).__FEATURE_PB_ADV__, 'false');
});

test.run();
