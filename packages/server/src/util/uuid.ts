const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical UUID: check before querying a uuid column with user input. */
export const isUuid = (value: string) => UUID.test(value);
