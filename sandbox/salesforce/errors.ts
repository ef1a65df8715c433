import { json, type SbResponse } from '../http/types.ts';

/** Salesforce REST error body: a JSON array of {message, errorCode[, fields]}. */
export const sfError = (status: number, errorCode: string, message: string, fields?: string[]): SbResponse =>
  json(status, [{ message, errorCode, ...(fields ? { fields } : {}) }]);

export interface RecordError {
  statusCode: string;
  message: string;
  fields: string[];
}

export const recordError = (statusCode: string, message: string, fields: string[] = []): RecordError => ({ statusCode, message, fields });

export const notFound = () => sfError(404, 'NOT_FOUND', 'The requested resource does not exist');
