/**
 * X-Ray through Powertools Tracer: every Pakka Lambda runs its handler in a subsegment of its own,
 * annotated with what X-Ray can be searched by (`annotation.txnId = "..."`), and records the AWS
 * SDK calls it makes. Outside Lambda (tests, local mode) the tracer is off and this only calls through.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

export function pakkaTracer(serviceName: string): Tracer {
  return new Tracer({ serviceName });
}

export type Annotations = Record<string, string | number | boolean | undefined>;

/** Wraps a handler; `annotate` reads the annotations (txnId, participant, action) from the event. */
export function traced<E, C, R>(
  tracer: Tracer,
  name: string,
  handler: (event: E, context?: C) => Promise<R>,
  annotate: (event: E) => Annotations = () => ({}),
) {
  return async (event: E, context?: C): Promise<R> => {
    if (!tracer.isTracingEnabled()) return handler(event, context);
    const segment = tracer.getSegment();
    if (!segment) return handler(event, context);
    const subsegment = segment.addNewSubsegment(`## ${name}`);
    tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    for (const [key, value] of Object.entries(annotate(event))) if (value !== undefined) tracer.putAnnotation(key, value);
    try {
      return await handler(event, context);
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      subsegment.close();
      tracer.setSegment(segment);
    }
  };
}
