// Property shapes the response classes share (dates, ODS codes, counts), as @ApiProperty options.
export const DATE = { type: String, format: 'date', example: '2026-03-02' } as const;
export const DATE_TIME = { type: String, format: 'date-time', example: '2026-12-01T09:30:00.000Z' } as const;
export const ODS = { type: String, example: 'RJC', description: 'ODS code' } as const;
export const NULLABLE_ODS = { type: String, nullable: true, example: 'RJC' } as const;
export const COUNT = { type: 'integer', minimum: 0 } as const;
export const UUID = { type: String, format: 'uuid' } as const;
