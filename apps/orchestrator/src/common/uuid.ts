/** A UUID in its text form: ids from clients are checked against it before they reach a uuid column (which would refuse them with a database error). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
