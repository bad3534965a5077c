import assert from 'node:assert/strict'
import { test } from 'node:test'
import { endpointsFromEnv } from '../../src/config/endpoints.ts'

test('one offset shifts every port', () => {
  const e = endpointsFromEnv({ TRIBUTARY_PORT_OFFSET: '1000' })
  assert.deepEqual(e.kafkaBrokers, ['127.0.0.1:10092'])
  assert.equal(e.redisUrl, 'redis://127.0.0.1:7379')
  assert.equal(e.clickhouseUrl, 'http://127.0.0.1:9123')
  assert.equal(e.prometheusUrl, 'http://127.0.0.1:10090')
  assert.equal(e.metricsPort, 10464)
})

test('a bad offset names the variable and the fix', () => {
  assert.throws(
    () => endpointsFromEnv({ TRIBUTARY_PORT_OFFSET: 'abc' }),
    /TRIBUTARY_PORT_OFFSET=abc.*unset it/,
  )
})
