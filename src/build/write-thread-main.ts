/**
 * The document write thread of a large build's write stage: for each document it is given, reads
 * its entries, fills its frames, and writes its files to their temporary paths, then answers with
 * what it wrote (or why it could not) and counts the document off. See write-threads.ts.
 */
import { workerData } from 'node:worker_threads';
import { EntryReader } from './entry-store.js';
import { describeFailure, writeDocumentFiles, type DocumentAnswer, type DocumentJob, type WriteThreadData } from './write-threads.js';

const { entriesDir, port, queued } = workerData as WriteThreadData;

port.on('message', (job: DocumentJob) => {
  // A reader per document: a thread ended by terminate() leaves no descriptor open.
  const reader = new EntryReader(entriesDir);
  let answer: DocumentAnswer;
  try {
    answer = { id: job.id, staged: writeDocumentFiles(job, reader) };
  } catch (error) {
    answer = { id: job.id, failure: describeFailure(error) };
  } finally {
    reader.close();
  }
  // Answered before counted off: once the count is down, the answer is there to take.
  port.postMessage(answer);
  Atomics.sub(queued, 0, 1);
  Atomics.notify(queued, 0);
});
