import { Controller, Get, Header, Module } from '@nestjs/common';

// Placeholder page: replaced by the chat sample once the library exists.
@Controller()
export class AppController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  index(): string {
    return '<html><body><h1>hi</h1></body></html>';
  }
}

@Module({ controllers: [AppController] })
export class AppModule {}
