//! Every catalog event type in one enum, chosen by the type's name.
//!
//! Generated from `catalog/*/*.json` by `crates/kurir-verify/tests/generated_events.rs`; do not edit by hand.

use serde::Deserialize;
use serde_json::Value;

use super::{dealpos, kurir, zort};

/// One event of any catalog type, typed; [`CatalogEvent::Custom`] for a type the catalog does not have (a tenant's own).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CatalogEvent {
    /// DealPOS `adjustmentCreated`: Adjustment Created.
    AdjustmentCreated(dealpos::AdjustmentCreated),
    /// DealPOS `closeShift`: Close Shift.
    CloseShift(dealpos::CloseShift),
    /// DealPOS `customerCreated`: Customer Created.
    CustomerCreated(dealpos::CustomerCreated),
    /// DealPOS `customerDeleted`: Customer Deleted.
    CustomerDeleted(dealpos::CustomerDeleted),
    /// DealPOS `inboundLogisticComplete`: Inbound Logistic Complete.
    InboundLogisticComplete(dealpos::InboundLogisticComplete),
    /// DealPOS `invoiceCreated`: Invoice Created.
    InvoiceCreated(dealpos::InvoiceCreated),
    /// DealPOS `invoiceDeleted`: Invoice Deleted.
    InvoiceDeleted(dealpos::InvoiceDeleted),
    /// DealPOS `invoiceErased`: Invoice Erased.
    InvoiceErased(dealpos::InvoiceErased),
    /// DealPOS `outboundLogisticComplete`: Outbound Logistic Complete.
    OutboundLogisticComplete(dealpos::OutboundLogisticComplete),
    /// DealPOS `paymentCreated`: Payment Created.
    PaymentCreated(dealpos::PaymentCreated),
    /// DealPOS `paymentDeleted`: Payment Deleted.
    PaymentDeleted(dealpos::PaymentDeleted),
    /// DealPOS `paymentUpdated`: Payment Updated.
    PaymentUpdated(dealpos::PaymentUpdated),
    /// DealPOS `paymentWriteoff`: Payment Write Off.
    PaymentWriteoff(dealpos::PaymentWriteoff),
    /// DealPOS `productCreated`: Product Created.
    ProductCreated(dealpos::ProductCreated),
    /// DealPOS `productDeleted`: Product Deleted.
    ProductDeleted(dealpos::ProductDeleted),
    /// DealPOS `productUpdated`: Product Updated.
    ProductUpdated(dealpos::ProductUpdated),
    /// DealPOS `productVariantCreated`: Product Variant Created.
    ProductVariantCreated(dealpos::ProductVariantCreated),
    /// DealPOS `productVariantUpdated`: Product Variant Updated.
    ProductVariantUpdated(dealpos::ProductVariantUpdated),
    /// DealPOS `supplierBillPaymentCreated`: Supplier Bill Payment Created.
    SupplierBillPaymentCreated(dealpos::SupplierBillPaymentCreated),
    /// DealPOS `supplierBillPaymentDeleted`: Supplier Bill Payment Deleted.
    SupplierBillPaymentDeleted(dealpos::SupplierBillPaymentDeleted),
    /// DealPOS `supplierCreated`: Supplier Created.
    SupplierCreated(dealpos::SupplierCreated),
    /// DealPOS `supplierDeleted`: Supplier Deleted.
    SupplierDeleted(dealpos::SupplierDeleted),
    /// DealPOS `transferOrderCreated`: Transfer Order Created.
    TransferOrderCreated(dealpos::TransferOrderCreated),
    /// ZORT `ADDCONTACT`: Contact created.
    AddContact(zort::AddContact),
    /// ZORT `ADDORDER`: Order created.
    AddOrder(zort::AddOrder),
    /// ZORT `ADDPRODUCT`: Product created.
    AddProduct(zort::AddProduct),
    /// ZORT `ADDPURCHASEORDER`: Purchase order created.
    AddPurchaseOrder(zort::AddPurchaseOrder),
    /// ZORT `ADDRETURNORDER`: Return order created.
    AddReturnOrder(zort::AddReturnOrder),
    /// ZORT `ADDRETURNPURCHASEORDER`: Return purchase created.
    AddReturnPurchaseOrder(zort::AddReturnPurchaseOrder),
    /// ZORT `ADDTRANSFER`: Transfer created.
    AddTransfer(zort::AddTransfer),
    /// ZORT `ADDWAREHOUSE`: Warehouse created.
    AddWarehouse(zort::AddWarehouse),
    /// ZORT `DELETECONTACT`: Contact deleted.
    DeleteContact(zort::DeleteContact),
    /// ZORT `DELETEORDER`: Order deleted.
    DeleteOrder(zort::DeleteOrder),
    /// ZORT `DELETEPRODUCT`: Product deleted.
    DeleteProduct(zort::DeleteProduct),
    /// ZORT `DELETEPURCHASEORDER`: Purchase order deleted.
    DeletePurchaseOrder(zort::DeletePurchaseOrder),
    /// ZORT `DELETERETURNORDER`: Return order deleted.
    DeleteReturnOrder(zort::DeleteReturnOrder),
    /// ZORT `DELETERETURNPURCHASEORDER`: Return purchase deleted.
    DeleteReturnPurchaseOrder(zort::DeleteReturnPurchaseOrder),
    /// ZORT `DELETEWAREHOUSE`: Warehouse deleted.
    DeleteWarehouse(zort::DeleteWarehouse),
    /// ZORT `UPDATECONTACT`: Contact modified.
    UpdateContact(zort::UpdateContact),
    /// ZORT `UPDATEORDER`: Order modified / status changed.
    UpdateOrder(zort::UpdateOrder),
    /// ZORT `UPDATEORDERPAYMENT`: Order payments changed.
    UpdateOrderPayment(zort::UpdateOrderPayment),
    /// ZORT `UPDATEORDERTRACKING`: Order tracking number changed.
    UpdateOrderTracking(zort::UpdateOrderTracking),
    /// ZORT `UPDATEPRODUCT`: Product modified.
    UpdateProduct(zort::UpdateProduct),
    /// ZORT `UPDATEPRODUCTQUANTITY`: Product quantity changed.
    UpdateProductQuantity(zort::UpdateProductQuantity),
    /// ZORT `UPDATEPURCHASEORDER`: Purchase order modified / status changed.
    UpdatePurchaseOrder(zort::UpdatePurchaseOrder),
    /// ZORT `UPDATEPURCHASEORDERPAYMENT`: Purchase order payments changed.
    UpdatePurchaseOrderPayment(zort::UpdatePurchaseOrderPayment),
    /// ZORT `UPDATERETURNORDER`: Return order modified / status changed.
    UpdateReturnOrder(zort::UpdateReturnOrder),
    /// ZORT `UPDATERETURNORDERPAYMENT`: Return order payments changed.
    UpdateReturnOrderPayment(zort::UpdateReturnOrderPayment),
    /// ZORT `UPDATERETURNPURCHASEORDER`: Return purchase modified / status changed.
    UpdateReturnPurchaseOrder(zort::UpdateReturnPurchaseOrder),
    /// ZORT `UPDATERETURNPURCHASEORDERPAYMENT`: Return purchase payments changed.
    UpdateReturnPurchaseOrderPayment(zort::UpdateReturnPurchaseOrderPayment),
    /// ZORT `UPDATETRANSFER`: Transfer modified / status changed.
    UpdateTransfer(zort::UpdateTransfer),
    /// ZORT `UPDATEWAREHOUSE`: Warehouse modified.
    UpdateWarehouse(zort::UpdateWarehouse),
    /// kurir `kurir.delivery.dead`: Delivery dead.
    KurirDeliveryDead(kurir::KurirDeliveryDead),
    /// kurir `kurir.delivery.failing`: Delivery failing.
    KurirDeliveryFailing(kurir::KurirDeliveryFailing),
    /// kurir `kurir.endpoint.disabled`: Endpoint disabled.
    KurirEndpointDisabled(kurir::KurirEndpointDisabled),
    /// kurir `kurir.endpoint.recovered`: Endpoint recovered.
    KurirEndpointRecovered(kurir::KurirEndpointRecovered),
    /// A type the catalog does not have: its name and payload as they came.
    Custom { event_type: String, payload: Value },
}

impl CatalogEvent {
    /// The payload of an event of type `event_type`, typed. A catalog type whose payload does not fit is an error.
    pub fn parse(event_type: &str, payload: &Value) -> Result<Self, serde_json::Error> {
        Ok(match event_type {
            "adjustmentCreated" => Self::AdjustmentCreated(Deserialize::deserialize(payload)?),
            "closeShift" => Self::CloseShift(Deserialize::deserialize(payload)?),
            "customerCreated" => Self::CustomerCreated(Deserialize::deserialize(payload)?),
            "customerDeleted" => Self::CustomerDeleted(Deserialize::deserialize(payload)?),
            "inboundLogisticComplete" => Self::InboundLogisticComplete(Deserialize::deserialize(payload)?),
            "invoiceCreated" => Self::InvoiceCreated(Deserialize::deserialize(payload)?),
            "invoiceDeleted" => Self::InvoiceDeleted(Deserialize::deserialize(payload)?),
            "invoiceErased" => Self::InvoiceErased(Deserialize::deserialize(payload)?),
            "outboundLogisticComplete" => Self::OutboundLogisticComplete(Deserialize::deserialize(payload)?),
            "paymentCreated" => Self::PaymentCreated(Deserialize::deserialize(payload)?),
            "paymentDeleted" => Self::PaymentDeleted(Deserialize::deserialize(payload)?),
            "paymentUpdated" => Self::PaymentUpdated(Deserialize::deserialize(payload)?),
            "paymentWriteoff" => Self::PaymentWriteoff(Deserialize::deserialize(payload)?),
            "productCreated" => Self::ProductCreated(Deserialize::deserialize(payload)?),
            "productDeleted" => Self::ProductDeleted(Deserialize::deserialize(payload)?),
            "productUpdated" => Self::ProductUpdated(Deserialize::deserialize(payload)?),
            "productVariantCreated" => Self::ProductVariantCreated(Deserialize::deserialize(payload)?),
            "productVariantUpdated" => Self::ProductVariantUpdated(Deserialize::deserialize(payload)?),
            "supplierBillPaymentCreated" => Self::SupplierBillPaymentCreated(Deserialize::deserialize(payload)?),
            "supplierBillPaymentDeleted" => Self::SupplierBillPaymentDeleted(Deserialize::deserialize(payload)?),
            "supplierCreated" => Self::SupplierCreated(Deserialize::deserialize(payload)?),
            "supplierDeleted" => Self::SupplierDeleted(Deserialize::deserialize(payload)?),
            "transferOrderCreated" => Self::TransferOrderCreated(Deserialize::deserialize(payload)?),
            "ADDCONTACT" => Self::AddContact(Deserialize::deserialize(payload)?),
            "ADDORDER" => Self::AddOrder(Deserialize::deserialize(payload)?),
            "ADDPRODUCT" => Self::AddProduct(Deserialize::deserialize(payload)?),
            "ADDPURCHASEORDER" => Self::AddPurchaseOrder(Deserialize::deserialize(payload)?),
            "ADDRETURNORDER" => Self::AddReturnOrder(Deserialize::deserialize(payload)?),
            "ADDRETURNPURCHASEORDER" => Self::AddReturnPurchaseOrder(Deserialize::deserialize(payload)?),
            "ADDTRANSFER" => Self::AddTransfer(Deserialize::deserialize(payload)?),
            "ADDWAREHOUSE" => Self::AddWarehouse(Deserialize::deserialize(payload)?),
            "DELETECONTACT" => Self::DeleteContact(Deserialize::deserialize(payload)?),
            "DELETEORDER" => Self::DeleteOrder(Deserialize::deserialize(payload)?),
            "DELETEPRODUCT" => Self::DeleteProduct(Deserialize::deserialize(payload)?),
            "DELETEPURCHASEORDER" => Self::DeletePurchaseOrder(Deserialize::deserialize(payload)?),
            "DELETERETURNORDER" => Self::DeleteReturnOrder(Deserialize::deserialize(payload)?),
            "DELETERETURNPURCHASEORDER" => Self::DeleteReturnPurchaseOrder(Deserialize::deserialize(payload)?),
            "DELETEWAREHOUSE" => Self::DeleteWarehouse(Deserialize::deserialize(payload)?),
            "UPDATECONTACT" => Self::UpdateContact(Deserialize::deserialize(payload)?),
            "UPDATEORDER" => Self::UpdateOrder(Deserialize::deserialize(payload)?),
            "UPDATEORDERPAYMENT" => Self::UpdateOrderPayment(Deserialize::deserialize(payload)?),
            "UPDATEORDERTRACKING" => Self::UpdateOrderTracking(Deserialize::deserialize(payload)?),
            "UPDATEPRODUCT" => Self::UpdateProduct(Deserialize::deserialize(payload)?),
            "UPDATEPRODUCTQUANTITY" => Self::UpdateProductQuantity(Deserialize::deserialize(payload)?),
            "UPDATEPURCHASEORDER" => Self::UpdatePurchaseOrder(Deserialize::deserialize(payload)?),
            "UPDATEPURCHASEORDERPAYMENT" => Self::UpdatePurchaseOrderPayment(Deserialize::deserialize(payload)?),
            "UPDATERETURNORDER" => Self::UpdateReturnOrder(Deserialize::deserialize(payload)?),
            "UPDATERETURNORDERPAYMENT" => Self::UpdateReturnOrderPayment(Deserialize::deserialize(payload)?),
            "UPDATERETURNPURCHASEORDER" => Self::UpdateReturnPurchaseOrder(Deserialize::deserialize(payload)?),
            "UPDATERETURNPURCHASEORDERPAYMENT" => {
                Self::UpdateReturnPurchaseOrderPayment(Deserialize::deserialize(payload)?)
            }
            "UPDATETRANSFER" => Self::UpdateTransfer(Deserialize::deserialize(payload)?),
            "UPDATEWAREHOUSE" => Self::UpdateWarehouse(Deserialize::deserialize(payload)?),
            "kurir.delivery.dead" => Self::KurirDeliveryDead(Deserialize::deserialize(payload)?),
            "kurir.delivery.failing" => Self::KurirDeliveryFailing(Deserialize::deserialize(payload)?),
            "kurir.endpoint.disabled" => Self::KurirEndpointDisabled(Deserialize::deserialize(payload)?),
            "kurir.endpoint.recovered" => Self::KurirEndpointRecovered(Deserialize::deserialize(payload)?),
            _ => Self::Custom { event_type: event_type.to_owned(), payload: payload.clone() },
        })
    }

    /// The catalog's name of the event's type.
    pub fn event_type(&self) -> &str {
        match self {
            Self::AdjustmentCreated(_) => "adjustmentCreated",
            Self::CloseShift(_) => "closeShift",
            Self::CustomerCreated(_) => "customerCreated",
            Self::CustomerDeleted(_) => "customerDeleted",
            Self::InboundLogisticComplete(_) => "inboundLogisticComplete",
            Self::InvoiceCreated(_) => "invoiceCreated",
            Self::InvoiceDeleted(_) => "invoiceDeleted",
            Self::InvoiceErased(_) => "invoiceErased",
            Self::OutboundLogisticComplete(_) => "outboundLogisticComplete",
            Self::PaymentCreated(_) => "paymentCreated",
            Self::PaymentDeleted(_) => "paymentDeleted",
            Self::PaymentUpdated(_) => "paymentUpdated",
            Self::PaymentWriteoff(_) => "paymentWriteoff",
            Self::ProductCreated(_) => "productCreated",
            Self::ProductDeleted(_) => "productDeleted",
            Self::ProductUpdated(_) => "productUpdated",
            Self::ProductVariantCreated(_) => "productVariantCreated",
            Self::ProductVariantUpdated(_) => "productVariantUpdated",
            Self::SupplierBillPaymentCreated(_) => "supplierBillPaymentCreated",
            Self::SupplierBillPaymentDeleted(_) => "supplierBillPaymentDeleted",
            Self::SupplierCreated(_) => "supplierCreated",
            Self::SupplierDeleted(_) => "supplierDeleted",
            Self::TransferOrderCreated(_) => "transferOrderCreated",
            Self::AddContact(_) => "ADDCONTACT",
            Self::AddOrder(_) => "ADDORDER",
            Self::AddProduct(_) => "ADDPRODUCT",
            Self::AddPurchaseOrder(_) => "ADDPURCHASEORDER",
            Self::AddReturnOrder(_) => "ADDRETURNORDER",
            Self::AddReturnPurchaseOrder(_) => "ADDRETURNPURCHASEORDER",
            Self::AddTransfer(_) => "ADDTRANSFER",
            Self::AddWarehouse(_) => "ADDWAREHOUSE",
            Self::DeleteContact(_) => "DELETECONTACT",
            Self::DeleteOrder(_) => "DELETEORDER",
            Self::DeleteProduct(_) => "DELETEPRODUCT",
            Self::DeletePurchaseOrder(_) => "DELETEPURCHASEORDER",
            Self::DeleteReturnOrder(_) => "DELETERETURNORDER",
            Self::DeleteReturnPurchaseOrder(_) => "DELETERETURNPURCHASEORDER",
            Self::DeleteWarehouse(_) => "DELETEWAREHOUSE",
            Self::UpdateContact(_) => "UPDATECONTACT",
            Self::UpdateOrder(_) => "UPDATEORDER",
            Self::UpdateOrderPayment(_) => "UPDATEORDERPAYMENT",
            Self::UpdateOrderTracking(_) => "UPDATEORDERTRACKING",
            Self::UpdateProduct(_) => "UPDATEPRODUCT",
            Self::UpdateProductQuantity(_) => "UPDATEPRODUCTQUANTITY",
            Self::UpdatePurchaseOrder(_) => "UPDATEPURCHASEORDER",
            Self::UpdatePurchaseOrderPayment(_) => "UPDATEPURCHASEORDERPAYMENT",
            Self::UpdateReturnOrder(_) => "UPDATERETURNORDER",
            Self::UpdateReturnOrderPayment(_) => "UPDATERETURNORDERPAYMENT",
            Self::UpdateReturnPurchaseOrder(_) => "UPDATERETURNPURCHASEORDER",
            Self::UpdateReturnPurchaseOrderPayment(_) => "UPDATERETURNPURCHASEORDERPAYMENT",
            Self::UpdateTransfer(_) => "UPDATETRANSFER",
            Self::UpdateWarehouse(_) => "UPDATEWAREHOUSE",
            Self::KurirDeliveryDead(_) => "kurir.delivery.dead",
            Self::KurirDeliveryFailing(_) => "kurir.delivery.failing",
            Self::KurirEndpointDisabled(_) => "kurir.endpoint.disabled",
            Self::KurirEndpointRecovered(_) => "kurir.endpoint.recovered",
            Self::Custom { event_type, .. } => event_type,
        }
    }
}
