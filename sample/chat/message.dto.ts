import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, Length, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

/** A chat message as posted by the page (`rt.call('POST', '/rooms/:room/messages', …)`). */
export class MessageDto {
  @Transform(trim)
  @IsString()
  @Length(1, 32)
  name!: string;

  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  text!: string;
}
