import avro from 'avsc'

/**
 * Avro decimal (bytes, two's-complement unscaled value) as a JS number. avsc leaves logical types
 * to the caller; without this the record would carry an opaque Buffer.
 */
class DecimalType extends avro.types.LogicalType {
  private readonly scale: number

  constructor(attrs: { scale?: number }, opts?: object) {
    super(attrs as avro.Schema, opts)
    this.scale = attrs.scale ?? 0
  }

  override _fromValue(buf: Buffer): number {
    if (buf.length === 0) return 0
    let n = BigInt.asIntN(buf.length * 8, BigInt(`0x${buf.toString('hex')}`))
    const negative = n < 0n
    if (negative) n = -n
    const digits = n.toString().padStart(this.scale + 1, '0')
    const text = this.scale > 0 ? `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}` : digits
    return Number(negative ? `-${text}` : text)
  }

  override _toValue(value: unknown): Buffer | undefined {
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined
    let unscaled = BigInt(Math.round(value * 10 ** this.scale))
    const bytes: number[] = []
    // Minimal two's-complement big-endian encoding, as Java's BigDecimal writes it.
    for (;;) {
      const byte = Number(unscaled & 0xffn)
      bytes.unshift(byte)
      unscaled >>= 8n
      if ((unscaled === 0n && (byte & 0x80) === 0) || (unscaled === -1n && (byte & 0x80) !== 0)) break
    }
    return Buffer.from(bytes)
  }

  override _resolve(type: avro.Type): ((x: unknown) => unknown) | undefined {
    if (avro.Type.isType(type, 'logical:decimal')) return (x) => x
    // A writer that declared plain bytes (or a registry that dropped the logical type) still
    // carries the same two's-complement bytes.
    if (type.typeName === 'bytes') return (x) => this._fromValue(x as Buffer)
    return undefined
  }
}

const logicalTypes = { decimal: DecimalType as unknown as new (...args: unknown[]) => avro.types.LogicalType }

/** Every Avro schema Tributary reads or writes is parsed here, so logical types are consistent. */
export function avroType(schema: object | string): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { logicalTypes, wrapUnions: false })
}
