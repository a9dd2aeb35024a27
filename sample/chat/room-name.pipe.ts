import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { ROOM_NAME } from './rooms';

/** Validates the `:room` route parameter. */
@Injectable()
export class RoomNamePipe implements PipeTransform<string, string> {
  transform(room: string): string {
    if (!ROOM_NAME.test(room))
      throw new BadRequestException(
        'room names are 1-32 characters of a-z, 0-9 and "-"',
      );
    return room;
  }
}
