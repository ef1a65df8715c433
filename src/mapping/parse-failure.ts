/** A raw value that cannot be read; the message is the short reason a record is rejected with. */
export class ParseFailure extends Error {}
