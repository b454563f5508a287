// An orders API on NestJS 10 with @node-idempotency/nestjs, set up as its README
// says: NodeIdempotencyModule.forRootAsync with the memory storage adapter, and
// @Idempotent() on the controller. Plain JavaScript: the decorators are applied
// with Reflect.decorate instead of TypeScript's @ syntax.
// POST /orders charges PAYMENTS_URL (which does not deduplicate; the key is not
// forwarded) and answers 201 with the charge, or 502 when payments failed.
//   --mode default  idempotency options left at their defaults
//   --mode enforce  enforceIdempotency: true (a request without key gets 400)
require('reflect-metadata');
const { Module, Controller, Post, Get, Body, HttpException } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { NodeIdempotencyModule, Idempotent } = require('@node-idempotency/nestjs');

const mode = process.argv[process.argv.indexOf('--mode') + 1];
if (!['default', 'enforce'].includes(mode)) throw new Error(`unknown --mode ${mode}`);
const idempotencyOptions = mode === 'enforce' ? { enforceIdempotency: true } : {};

class OrdersController {
  async create(body) {
    let response;
    try {
      response = await fetch(`${process.env.PAYMENTS_URL}/charges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amount: body.amount, currency: body.currency }),
        signal: AbortSignal.timeout(1000),
      });
    } catch (error) {
      throw new HttpException({ error: `payment failed: ${error.message}` }, 502);
    }
    if (!response.ok) throw new HttpException({ error: `payment failed: payments answered ${response.status}` }, 502);
    const charge = await response.json();
    return { id: charge.id, amount: charge.amount, status: 'paid' };
  }
}
Body()(OrdersController.prototype, 'create', 0); // a parameter decorator
Reflect.decorate([Post()], OrdersController.prototype, 'create', Object.getOwnPropertyDescriptor(OrdersController.prototype, 'create'));
Reflect.decorate([Controller('orders'), Idempotent()], OrdersController);

class HealthController {
  health() {
    return { ok: true };
  }
}
Reflect.decorate([Get()], HealthController.prototype, 'health', Object.getOwnPropertyDescriptor(HealthController.prototype, 'health'));
Reflect.decorate([Controller('health')], HealthController);

class AppModule {}
Reflect.decorate(
  [
    Module({
      imports: [NodeIdempotencyModule.forRootAsync({ storage: { adapter: 'memory' }, ...idempotencyOptions })],
      controllers: [OrdersController, HealthController],
    }),
  ],
  AppModule,
);

NestFactory.create(AppModule, { logger: ['error'] }).then((app) => app.listen(Number(process.env.PORT), '127.0.0.1'));
