import { registerDecorator, ValidationOptions } from 'class-validator';

/**
 * A class-validator decorator made from a function that says what is wrong with a value (null:
 * nothing): its sentence is the error the client reads, so the check and the message never part.
 */
export function problemValidator(name: string, problem: (value: unknown) => string | null, fallback: string, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => problem(value) === null,
        defaultMessage: (args) => problem(args?.value) ?? fallback,
      },
    });
}
