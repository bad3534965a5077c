import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compileRules, oneOf, predicate, type Rule, range, required } from '../../src/validation/rules.ts'

interface Order {
  id: string | null
  status: string
  amount: number
  'odd "name"\\': number
}

const order = (over: Partial<Order> = {}): Order => ({
  id: 'o-1',
  status: 'PAID',
  amount: 10,
  'odd "name"\\': 1,
  ...over,
})

// A rule object whose check uses `this`: it must be called as a method.
const atMost: Rule<number> & { limit: number } = {
  name: 'at-most',
  limit: 5,
  check(v) {
    return v <= this.limit ? null : `${v} is above ${this.limit}`
  },
}

const check = compileRules<Order>({
  fields: {
    id: [required()],
    status: [oneOf(['PAID', 'OPEN'])],
    amount: [range({ min: 0 })],
    'odd "name"\\': [atMost],
  },
  checks: [predicate('paid-has-amount', (o: Order) => o.status !== 'PAID' || o.amount > 0)],
})

test('a record that passes every rule has no failures, and no list is made for it', () => {
  assert.deepEqual(check(order()), [])
  assert.equal(check(order()), check(order({ amount: 3 })), 'one shared empty answer')
  assert.ok(Object.isFrozen(check(order())))
})

test('every failing rule is reported, field rules in declaration order, then record checks', () => {
  const failures = check(order({ id: null, status: 'LOST', amount: 0, 'odd "name"\\': 9 }))
  assert.deepEqual(
    failures.map((f) => [f.field, f.rule]),
    [
      ['id', 'id.required'],
      ['status', 'status.enum'],
      ['odd "name"\\', 'odd "name"\\.at-most'],
    ],
  )
  assert.equal(failures[2]!.message, 'odd "name"\\: 9 is above 5')
  const paid = check(order({ amount: -1 }))
  assert.deepEqual(
    paid.map((f) => f.rule),
    ['amount.range', 'paid-has-amount'],
  )
  assert.equal(paid[1]!.message, 'failed paid-has-amount')
})

test('no rules: every record passes', () => {
  assert.deepEqual(compileRules<Order>(undefined)(order({ id: null })), [])
  assert.deepEqual(compileRules<Order>({})(order()), [])
})
